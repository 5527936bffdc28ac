import { useEffect, useState } from 'preact/hooks';

/** Seconds left until `until` (ms epoch), ticking once a second; 0 once passed or when null. */
export function useSecondsLeft(until: number | null): number {
  const compute = (): number => (until === null ? 0 : Math.max(0, Math.ceil((until - Date.now()) / 1000)));
  const [left, setLeft] = useState(compute);
  useEffect(() => {
    setLeft(compute());
    if (until === null) return undefined;
    const timer = setInterval(() => {
      const next = compute();
      setLeft(next);
      if (next === 0) clearInterval(timer);
    }, 1000);
    return () => clearInterval(timer);
  }, [until]);
  return left;
}
