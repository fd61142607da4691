import type { ErrorCatalog } from './http/errors.js';
import type { HttpApp } from './http/types.js';
import type { MigrationSet } from './db/migrations.js';
import type { PeriodicTask } from './periodic-task.js';

/** What every module hands the composition root: its tables, its error codes, and its routes. */
export interface AppModule {
  name: string;
  migrations: MigrationSet;
  errors: ErrorCatalog;
  /** Registers the module's routes in its own encapsulated plugin under /v1. */
  routes?: (app: HttpApp) => Promise<void>;
  /** Background loops (sweepers) run by worker roles. */
  tasks?: PeriodicTask[];
}
