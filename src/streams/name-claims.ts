/**
 * A claim on a stream name beyond this process: the cluster's directory (src/cluster/)
 * implements it; standalone there is none and the registry's own reservation decides.
 * StreamPublish asks it once the name is held locally, before any peer connection.
 */

/** `claimed`: this node holds the name; `taken`: another node does; `unavailable`: nobody can tell (the directory is down). */
export type NameClaimAnswer = 'claimed' | 'taken' | 'unavailable';

export interface NameClaims {
  /** Claims the name for this node (held until release); never rejects. */
  claim(name: string): Promise<NameClaimAnswer>;
  /** Lets a claimed name go; runs after any claim of the same name asked before it. */
  release(name: string): void;
}
