// The machine's own ceiling for HTTP: a bare Node server answering a small JSON body, run as its own process.
import { createServer } from 'node:http';

const body = JSON.stringify({ institution: { id: '3521a4f9-c6a3-5aa0-8c94-d331b31fe472', name: 'echo' } });
const server = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
