// The helper service's process: it only has to keep running so the plugin can read the
// bootstrap secret mounted into its container. It exits promptly on SIGTERM.
const keepAlive = setInterval(() => undefined, 1 << 30);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    clearInterval(keepAlive);
    process.exit(0);
  });
}
