// The demo page's script: shows that it ran, then asks a JSON view for a greeting.
document.getElementById('js-status').textContent = 'JS loaded';

fetch('/api/hello/browser')
  .then((response) => response.json())
  .then((data) => {
    document.getElementById('api-result').textContent = `hello ${data.hello}`;
  })
  .catch((err) => {
    document.getElementById('api-result').textContent = `failed: ${err.message}`;
  });
