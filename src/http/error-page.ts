/** The HTML body of an error response (as Python's http.server sends it), `message` and `explain` escaped. */
export function errorPage(code: number, message: string, explain: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Error response</title>
</head>
<body>
<h1>Error response</h1>
<p>Error code: ${code}</p>
<p>Message: ${escapeHtml(message)}</p>
<p>Error code explanation: ${code} - ${escapeHtml(explain)}</p>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}
