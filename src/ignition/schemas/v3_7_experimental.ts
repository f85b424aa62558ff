// Ignition config spec 3.7.0-experimental: currently identical to 3.6.0 (see
// ignition-schemas/v3_7_experimental.json). Experimental specs are only accepted by the Ignition
// releases that ship them.
import { z } from 'zod';
import * as prev from './v3_6.js';

export * from './v3_6.js';

export const VERSION = '3.7.0-experimental';

export const Config = prev.Config;
export type Config = z.infer<typeof Config>;
