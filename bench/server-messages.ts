/** What bench/http.ts and the server child (bench/server-process.mjs) say to each other over IPC. */
export interface MemorySnapshot {
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
  /** Highest RSS seen by the 100 ms sampler since the last `reset-peak`. */
  peakRssMB: number;
}

export type ParentMessage =
  | { type: 'memory'; gc: boolean; id: number }
  | { type: 'set-clock-offset'; offsetMs: number; id: number }
  | { type: 'loop-delay'; reset: boolean; id: number }
  | { type: 'profile'; action: 'start' | 'stop'; file?: string; id: number }
  | { type: 'reset-peak' }
  | { type: 'stop' };
export type ChildMessage =
  | { type: 'ready'; url: string; startupMs: number }
  | { type: 'memory'; id: number; memory: MemorySnapshot }
  | { type: 'clock'; id: number; now: number }
  | { type: 'profiled'; id: number }
  | { type: 'loop-delay'; id: number; p50Ms: number; p99Ms: number; maxMs: number }
  | { type: 'error'; message: string };
