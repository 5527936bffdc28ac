/** What bench/http.ts and the server child (bench/server-process.mjs) say to each other over IPC. */
export interface MemorySnapshot {
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
  /** Highest RSS seen by the 100 ms sampler since the last `reset-peak`. */
  peakRssMB: number;
}

export type ParentMessage = { type: 'memory'; gc: boolean; id: number } | { type: 'reset-peak' } | { type: 'stop' };
export type ChildMessage =
  | { type: 'ready'; url: string; startupMs: number }
  | { type: 'memory'; id: number; memory: MemorySnapshot }
  | { type: 'error'; message: string };
