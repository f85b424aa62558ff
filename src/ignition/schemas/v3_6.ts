// Ignition config spec 3.6.0: the same fields as 3.5.0 (see ignition-schemas/v3_6.json); setuid,
// setgid and sticky mode bits are honoured from this version on.
import { z } from 'zod';
import * as prev from './v3_5.js';

export * from './v3_5.js';

export const VERSION = '3.6.0';

export const Config = prev.Config;
export type Config = z.infer<typeof Config>;
