/** Settings of the models benchmark app; the script passes --port 0 and --model. */
export default { static: false };
