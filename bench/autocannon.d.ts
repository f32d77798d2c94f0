/**
 * The part of autocannon 8's programmatic API the bench uses (the package ships no
 * types, and @types/autocannon would be another dependency).
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    interface Request {
      method?: string;
      /** The request target, sent as is. */
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      /** Called before each send of this request; returns the request to send. */
      setupRequest?: (request: Request, context: Record<string, unknown>) => Request | null;
    }

    /** One connection. */
    interface Client extends EventEmitter {
      /** Replaces this connection's request sequence (only with pipelining 1). */
      setRequests(requests: Request[]): void;
    }

    interface Options {
      url: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      /** Seconds a request may take before it counts as a timeout. */
      timeout?: number;
      pipelining?: number;
      requests?: Request[];
      /** Called once for each new connection. */
      setupClient?: (client: Client) => void;
    }

    interface Result {
      errors: number;
      timeouts: number;
      non2xx: number;
      /** Seconds. */
      duration: number;
      statusCodeStats: Record<string, { count: number }>;
      requests: { total: number; average: number };
    }

    interface Instance extends EventEmitter {
      stop(): void;
      on(event: 'response', listener: (client: Client, statusCode: number, bytes: number, responseTimeMs: number) => void): this;
      on(event: 'reqError', listener: (error: Error) => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
    }
  }

  function autocannon(options: autocannon.Options, callback: (error: Error | null, result: autocannon.Result) => void): autocannon.Instance;

  export = autocannon;
}
