// The process helpers tests share with the benchmarks (harness/processes.ts).
export { BIN, freePort, runOrderly, startServer, type OrderlyProcess } from '../../harness/processes.js';
