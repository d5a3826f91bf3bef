// The anchor of `npm run bench -- ofrep`: a bare Fastify server (defaults, no logger) whose one
// route parses the same JSON request body and answers a constant body of the same size as
// Slipway's OFREP answer. Started as its own process by the benchmark.
import Fastify from 'fastify';

const body = process.env.BODY ?? '{"key":"new-checkout","value":false,"reason":"SPLIT","variant":"off"}';
const app = Fastify();
app.post('/ofrep/v1/evaluate/flags/:key', async (_request, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(body));
const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
console.log(`listening on ${address}`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
