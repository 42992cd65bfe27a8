// What the rest of Vigil sees of replica coordination: readiness, metrics and logs read it.

export interface LeaseChangeCounts {
  /** Leases this replica took (a free one, or one whose owner stopped renewing it). */
  readonly acquired: number;
  /** Leases this replica gave up to balance the load or on shutdown. */
  readonly released: number;
  /** Leases this replica found taken by another (it had been paused or cut off). */
  readonly lost: number;
}

export interface CoordinationStatus {
  /** This process's replica id (host name, pid and a random part). */
  readonly replicaId: string;
  /** False while this replica cannot renew its leases or hear other replicas' results. */
  storeReachable(): boolean;
  /** Which replica held each shared source's lease at the last look (absent: nobody). */
  owners(): ReadonlyMap<string, string>;
  /** The shared sources this replica probes now. */
  owned(): readonly string[];
  leaseChanges(): LeaseChangeCounts;
  /** Sources probed by every replica for its own host (`resources`): never leased. */
  isLocal(source: string): boolean;
}
