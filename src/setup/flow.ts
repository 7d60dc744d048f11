// The first-time setup walkthrough, as a readable list of steps.
import type { Step } from '../core/step.js';
import type { SetupContext } from './context.js';
import { findConfig } from './steps/find-config.js';
import { pgAdmin } from './steps/pg-admin.js';
import { createRole } from './steps/create-role.js';
import { createDatabase } from './steps/create-database.js';
import { pgHba } from './steps/pg-hba.js';
import { databaseConfig } from './steps/database-config.js';

export const setupSteps: Step<SetupContext>[] = [findConfig, pgAdmin, createRole, createDatabase, pgHba, databaseConfig];
