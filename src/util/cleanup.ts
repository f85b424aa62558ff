// One place that undoes side effects: temp dirs, containers, QEMU processes, loop devices.
// Register an undo step when the side effect happens; it runs once — when the owner disposes it, or, in the CLI
// (which calls installSignalHandlers), on SIGINT/SIGTERM/SIGHUP before day0 exits 130/143/129, so Ctrl-C never
// leaves a container, a loop device or a QEMU behind. Library code never installs signal handlers itself.

type Undo = () => Promise<void> | void;

const pending = new Map<number, { what: string; undo: Undo }>();
let nextId = 1;
let installed = false;
let exiting = false;

export interface Registration {
  /** Run the undo step now (idempotent) and forget it. */
  dispose(): Promise<void>;
  /** Forget the undo step without running it (the side effect was handed over, e.g. renamed into place). */
  release(): void;
}

export function onCleanup(what: string, undo: Undo): Registration {
  const id = nextId++;
  pending.set(id, { what, undo });
  return {
    async dispose() {
      const entry = pending.get(id);
      if (!entry) return;
      pending.delete(id);
      await entry.undo();
    },
    release() {
      pending.delete(id);
    },
  };
}

let inFlight: Promise<void> | undefined;

/**
 * Run every pending undo step, newest first. Errors are reported, not thrown: cleanup must go on. A call made
 * while another is running (Ctrl-C during an error exit) waits for it, so nobody exits with cleanup half done.
 */
export function runAllCleanups(): Promise<void> {
  inFlight ??= (async () => {
    while (pending.size > 0) {
      const entries = [...pending.entries()].reverse();
      pending.clear();
      for (const [, { what, undo }] of entries) {
        try {
          await undo();
        } catch (err) {
          process.stderr.write(`day0: cleanup of ${what} failed: ${(err as Error).message}\n`);
        }
      }
    }
  })().finally(() => {
    inFlight = undefined;
  });
  return inFlight;
}

export function pendingCleanups(): string[] {
  return [...pending.values()].map((e) => e.what);
}

export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(sig, () => {
      if (exiting) return;
      exiting = true;
      process.stderr.write(`\nday0: ${sig} received, cleaning up …\n`);
      void runAllCleanups().finally(() => process.exit(code));
    });
  }
}
