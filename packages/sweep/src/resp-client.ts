/**
 * A minimal Redis client (RESP2 over TCP or TLS) with the shape of Bun's built-in `RedisClient`
 * (`send`, `connect`, `close`, `duplicate`, `connected`, `onconnect` / `onclose`), so that BullMQ's own
 * adapter for that client (`createBunRedisClient`: scripts, MULTI, reconnects, blocking pops) drives it.
 *
 * Why by hand: BullMQ 6 takes its Redis driver as an optional peer dependency (ioredis, node-redis,
 * valkey-glide), and none is installed in this workspace. `redisConnection` uses ioredis when it can be
 * resolved; this client is the fallback. It speaks only what BullMQ needs: commands as arrays of bulk
 * strings, replies decoded as ioredis decodes them (integers as numbers, bulk strings as UTF-8 strings,
 * nil as null, error replies as Error objects inside EXEC arrays and as rejections at top level).
 */
import net from "node:net";
import tls from "node:tls";

/** Connection target parsed from a redis:// or rediss:// URL. */
export interface RedisTarget {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
}

class Incomplete {
  constructor(readonly needed: number) {}
}

type Reply = string | number | null | Error | Reply[];

/** Decodes one RESP2 reply at `offset`; throws Incomplete (with the total bytes needed, when known). */
function decode(buffer: Buffer, offset: number): { value: Reply; next: number } {
  if (offset >= buffer.length) throw new Incomplete(offset + 1);
  const lineEnd = buffer.indexOf("\r\n", offset, "latin1");
  if (lineEnd < 0) throw new Incomplete(buffer.length + 1);
  const type = String.fromCharCode(buffer[offset]!);
  const line = buffer.toString("utf8", offset + 1, lineEnd);
  const after = lineEnd + 2;
  switch (type) {
    case "+":
      return { value: line, next: after };
    case "-":
      return { value: new Error(line), next: after };
    case ":":
      return { value: Number(line), next: after };
    case "$": {
      const length = Number(line);
      if (length < 0) return { value: null, next: after };
      if (buffer.length < after + length + 2) throw new Incomplete(after + length + 2);
      return { value: buffer.toString("utf8", after, after + length), next: after + length + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return { value: null, next: after };
      const items: Reply[] = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const item = decode(buffer, next);
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`redis: unexpected reply type ${JSON.stringify(type)}`);
  }
}

/** Encodes a command as a RESP array of bulk strings. */
function encode(command: string, args: ReadonlyArray<string | Buffer | number>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length + 1}\r\n$${Buffer.byteLength(command)}\r\n${command}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg), "utf8");
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/** One connection to Redis with Bun's RedisClient interface (see the file comment). */
export class RespClient {
  connected = false;
  onconnect: (() => void) | null = null;
  onclose: ((error?: Error) => void) | null = null;
  onerror: ((error: Error) => void) | null = null;
  private socket: net.Socket | null = null;
  private pending: Array<{ resolve: (value: Reply) => void; reject: (error: Error) => void }> = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  private needed = 1;
  private closing = false;

  constructor(readonly target: RedisTarget) {}

  /** Opens the socket, authenticates and selects the database. */
  async connect(): Promise<void> {
    if (this.connected) return;
    this.closing = false;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const options = { host: this.target.host, port: this.target.port };
      const opened = this.target.tls ? tls.connect({ ...options, servername: this.target.host }) : net.connect(options);
      opened.once(this.target.tls ? "secureConnect" : "connect", () => {
        opened.off("error", reject);
        resolve(opened);
      });
      opened.once("error", reject);
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", (error) => this.onerror?.(error));
    socket.on("close", () => this.closed());
    this.connected = true;
    if (this.target.password !== undefined) {
      await this.send("AUTH", this.target.username ? [this.target.username, this.target.password] : [this.target.password]);
    }
    if (this.target.db !== 0) await this.send("SELECT", [String(this.target.db)]);
    this.onconnect?.();
  }

  /** Sends one command; resolves with its decoded reply, rejects on an error reply or a closed connection. */
  send(command: string, args: ReadonlyArray<string | Buffer | number>): Promise<any> {
    if (!this.socket || !this.connected) return Promise.reject(new Error("Connection is closed."));
    const socket = this.socket;
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      socket.write(encode(command, args));
    });
  }

  get(key: string): Promise<string | null> {
    return this.send("GET", [key]);
  }

  smembers(key: string): Promise<string[]> {
    return this.send("SMEMBERS", [key]);
  }

  incr(key: string): Promise<number> {
    return this.send("INCR", [key]);
  }

  /** Closes the connection (pending commands are rejected). */
  close(): void {
    this.closing = true;
    this.socket?.end();
    this.socket?.destroy();
  }

  /** A new, unconnected client for the same server. */
  async duplicate(): Promise<RespClient> {
    return new RespClient(this.target);
  }

  private receive(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    // A large reply (a run's weights) arrives in many chunks: join them only once it is complete.
    if (this.buffered < this.needed) return;
    let buffer = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    let offset = 0;
    for (;;) {
      try {
        const { value, next } = decode(buffer, offset);
        offset = next;
        const waiter = this.pending.shift();
        if (waiter) {
          if (value instanceof Error) waiter.reject(value);
          else waiter.resolve(value);
        }
      } catch (error) {
        if (!(error instanceof Incomplete)) {
          this.onerror?.(error as Error);
          this.socket?.destroy(error as Error);
          return;
        }
        buffer = buffer.subarray(offset);
        this.chunks = buffer.length ? [buffer] : [];
        this.buffered = buffer.length;
        this.needed = error.needed - offset;
        return;
      }
    }
  }

  private closed(): void {
    const wasConnected = this.connected;
    this.connected = false;
    this.socket = null;
    this.chunks = [];
    this.buffered = 0;
    this.needed = 1;
    const error = new Error("Connection closed");
    for (const waiter of this.pending.splice(0)) waiter.reject(error);
    if (wasConnected) this.onclose?.(this.closing ? undefined : error);
  }
}
