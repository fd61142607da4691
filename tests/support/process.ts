// The process helpers tests share with the benchmarks (harness/processes.ts).
export { BIN, freePort, root, runOrderly, startServer, type OrderlyProcess } from '../../harness/processes.js';
