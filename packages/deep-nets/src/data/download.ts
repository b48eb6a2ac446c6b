import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { InputError, createProgress, dataDirSetting, writeFileAtomic, type Progress } from "@sam-repro/runner";
import { DATA_DIR_ENV_VAR, defaultDataDirectories, findDatasetDirectory, resolveDataDirectory } from "./cifar-files.js";
import type { DatasetName } from "./cifar-format.js";
import { readTar } from "./tar.js";

/** The official binary archives and the md5 their authors publish on the CIFAR page. */
export const CIFAR_ARCHIVES: Record<DatasetName, { url: string; md5: string; directory: string }> = {
  cifar10: {
    url: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
    md5: "c32a1d4ab5d03f1284b67883e8d87530",
    directory: "cifar-10-batches-bin",
  },
  cifar100: {
    url: "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
    md5: "03b5dce01913d631647c71ecec9e9cb8",
    directory: "cifar-100-binary",
  },
};

export interface DownloadOptions {
  /** Where to unpack (the archive's own top directory is created inside). */
  dataDirectory: string;
  /** Another archive address (http(s):// or file://), e.g. a mirror; tests use a local server. */
  url?: string;
  /** Expected md5 of the archive; null skips the check (a mirror that repacked the files). */
  md5?: string | null;
  /** Called with (bytes so far, total bytes or null) while downloading. */
  onProgress?: (received: number, total: number | null) => void;
}

/** Fetches the archive bytes from an http(s) or file:// address. */
async function fetchBytes(url: string, onProgress?: DownloadOptions["onProgress"]): Promise<Uint8Array> {
  if (url.startsWith("file://")) {
    const file = fileURLToPath(url);
    if (!existsSync(file)) throw new InputError(`download ${url}: file not found`);
    return readFileSync(file);
  }
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new InputError(`download ${url}: ${(error as Error).message} (is there an internet connection?)`);
  }
  if (!response.ok || response.body == null) {
    throw new InputError(`download ${url}: HTTP ${response.status} ${response.statusText}`);
  }
  const totalHeader = response.headers.get("content-length");
  const total = totalHeader != null ? Number(totalHeader) : null;
  const chunks: Uint8Array[] = [];
  let received = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    chunks.push(chunk);
    received += chunk.length;
    onProgress?.(received, total);
  }
  if (total != null && received !== total) {
    throw new InputError(`download ${url}: got ${received} of ${total} bytes (connection dropped); run it again`);
  }
  return Buffer.concat(chunks);
}

/**
 * Downloads a CIFAR binary archive, checks its md5, and unpacks its regular files under
 * `dataDirectory` (each written atomically). Returns the unpacked dataset directory.
 * Entries whose path would leave the data directory are refused.
 */
export async function downloadCifar(dataset: DatasetName, options: DownloadOptions): Promise<{ directory: string; files: string[] }> {
  const archive = CIFAR_ARCHIVES[dataset];
  const url = options.url ?? archive.url;
  const compressed = await fetchBytes(url, options.onProgress);
  const expectedMd5 = options.md5 === undefined ? archive.md5 : options.md5;
  if (expectedMd5 != null) {
    const actual = createHash("md5").update(compressed).digest("hex");
    if (actual !== expectedMd5) {
      throw new InputError(`${url}: md5 ${actual} differs from the expected ${expectedMd5}; the download is corrupted or not the official archive`);
    }
  }
  let tarBytes: Uint8Array;
  try {
    tarBytes = gunzipSync(compressed);
  } catch (error) {
    throw new InputError(`${url}: not a valid gzip archive (${(error as Error).message})`);
  }
  let entries;
  try {
    entries = readTar(tarBytes);
  } catch (error) {
    throw new InputError(`${url}: ${(error as Error).message}`);
  }
  const root = path.resolve(options.dataDirectory);
  mkdirSync(root, { recursive: true });
  const files: string[] = [];
  for (const entry of entries) {
    const target = path.resolve(root, entry.path);
    if (!target.startsWith(root + path.sep)) throw new InputError(`${url}: archive entry "${entry.path}" would be written outside ${root}`);
    if (entry.type === "directory") mkdirSync(target, { recursive: true });
    else if (entry.type === "file") {
      writeFileAtomic(target, entry.data);
      files.push(target);
    }
  }
  return { directory: path.join(root, archive.directory), files };
}

export interface EnsureOptions {
  /** `--data-dir`; with it (or SAM_REPRO_DATA_DIR) nothing is downloaded: an explicit directory is the user's. */
  explicitDirectory?: string;
  /** Directories searched before downloading (default: <workspace>/data, <workspace>/../shared/datasets). */
  searchDirectories?: string[];
  /** Where a download is unpacked (default: <workspace>/data). */
  target?: string;
  /** Another archive address and md5 (tests use a local server). */
  url?: string;
  md5?: string | null;
  /** Progress of the download (default: a bar with ETA on stderr, in MB). */
  onProgress?: DownloadOptions["onProgress"];
}

/** The download command a user runs by hand, named in every error of ensureCifar. */
export function downloadCommand(dataset: DatasetName): string {
  return `npx sam-repro data download ${dataset}`;
}

/**
 * The data directory that holds `dataset`, fetching the official archive on first use: when neither
 * `--data-dir` nor SAM_REPRO_DATA_DIR is given and no default directory holds the dataset, the archive is
 * downloaded (progress bar, md5 checked) and unpacked into <workspace>/data, as `sam-repro data download`
 * does. A failed download (offline, mirror down, bad checksum) is an InputError that names the command
 * to run by hand; figures that do not need the dataset are unaffected.
 */
export async function ensureCifar(dataset: DatasetName, options: EnsureOptions = {}): Promise<{ dataDirectory: string; downloaded: boolean }> {
  if (options.explicitDirectory != null || dataDirSetting() !== undefined) {
    return { dataDirectory: resolveDataDirectory(dataset, options.explicitDirectory), downloaded: false };
  }
  const searched = options.searchDirectories ?? defaultDataDirectories();
  const found = searched.find((directory) => findDatasetDirectory(dataset, directory) != null);
  if (found) return { dataDirectory: found, downloaded: false };
  const target = options.target ?? defaultDataDirectories()[0]!;
  let bar: Progress | null = null;
  const onProgress =
    options.onProgress ??
    ((received: number, total: number | null) => {
      if (!total) return;
      bar ??= createProgress(`download ${dataset} (MB)`, Math.ceil(total / 1e6), 2);
      bar.update(Math.min(Math.floor(received / 1e6), Math.ceil(total / 1e6)));
    });
  process.stderr.write(`${dataset} not found in ${searched.join(" or ")}; downloading it into ${target}\n`);
  try {
    await downloadCifar(dataset, { dataDirectory: target, onProgress, ...(options.url ? { url: options.url } : {}), ...(options.md5 !== undefined ? { md5: options.md5 } : {}) });
  } catch (error) {
    throw new InputError(
      `${dataset}: not found in ${searched.join(" or ")}, and fetching it failed: ${(error as Error).message}. ` +
        `Run \`${downloadCommand(dataset)}\` when online, or pass --data-dir / set ${DATA_DIR_ENV_VAR}`,
    );
  } finally {
    (bar as Progress | null)?.stop();
  }
  if (findDatasetDirectory(dataset, target) == null) {
    throw new InputError(`${dataset}: the archive unpacked into ${target} holds no ${dataset} test file; run \`${downloadCommand(dataset)}\``);
  }
  return { dataDirectory: target, downloaded: true };
}
