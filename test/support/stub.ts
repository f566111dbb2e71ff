/**
 * A test double of T from the part of it a test uses: the one place a partial stands in for the
 * whole type (a client with only getJson, stats with only the fields a line reads). A member the
 * test did not give is undefined at run time, so the code under test fails loudly if it uses one.
 */
export function stub<T>(part: Partial<T>): T {
  return part as T;
}
