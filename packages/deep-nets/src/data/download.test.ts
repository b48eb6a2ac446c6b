import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { IMAGE_VALUES } from "./cifar-format.js";
import { loadCifar } from "./cifar-files.js";
import { downloadCifar } from "./download.js";
import { readTar } from "./tar.js";
import { randomImageSet, writeCifar100Directory } from "./test-files.js";

let temporary: string;
let server: http.Server;
let baseUrl: string;
const served = new Map<string, Buffer>();

beforeAll(async () => {
  temporary = mkdtempSync(path.join(os.tmpdir(), "deep-nets-download-"));
  // A local server on 127.0.0.1 stands in for www.cs.toronto.edu: the tests never touch the network.
  server = http.createServer((request, response) => {
    const body = served.get(request.url ?? "");
    if (!body) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-length": body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(temporary, { recursive: true, force: true });
});

describe("tar reader", () => {
  test("reads what GNU tar writes: nested paths, long names, empty files, directories", () => {
    const source = path.join(temporary, "tar-source");
    const longName = `${"a".repeat(120)}.txt`;
    mkdirSync(path.join(source, "top", "nested"), { recursive: true });
    writeFileSync(path.join(source, "top", "nested", "data.bin"), Buffer.from(Array.from({ length: 1500 }, (_, i) => i % 251)));
    writeFileSync(path.join(source, "top", longName), "long name content");
    writeFileSync(path.join(source, "top", "empty"), "");
    const archive = execFileSync("tar", ["-cf", "-", "-C", source, "top"]);
    const entries = readTar(archive);
    const files = new Map(entries.filter((e) => e.type === "file").map((e) => [e.path, Buffer.from(e.data)]));
    expect(files.get("top/nested/data.bin")).toEqual(readFileSync(path.join(source, "top", "nested", "data.bin")));
    expect(files.get(`top/${longName}`)?.toString()).toBe("long name content");
    expect(files.get("top/empty")?.length).toBe(0);
    expect(entries.some((e) => e.type === "directory" && e.path.replace(/\/$/, "") === "top/nested")).toBe(true);
    expect(() => readTar(archive.subarray(0, 2048))).toThrow(/truncated/);
    const corrupted = Buffer.from(archive);
    corrupted[10] = corrupted[10]! ^ 0xff;
    expect(() => readTar(corrupted)).toThrow(/checksum/);
  });
});

describe("data download", () => {
  test("fetches a CIFAR-100 archive over http, checks its md5, unpacks it, and the loader reads it", async () => {
    const marked = randomImageSet(12, 100, 3);
    const build = path.join(temporary, "archive-source");
    writeCifar100Directory(path.join(build, "cifar-100-binary"), marked);
    const archive = execFileSync("tar", ["-czf", "-", "-C", build, "cifar-100-binary"], { maxBuffer: 1 << 30 });
    served.set("/cifar-100-binary.tar.gz", archive);
    const md5 = createHash("md5").update(archive).digest("hex");
    const target = path.join(temporary, "downloaded");
    let progressCalls = 0;
    const { directory, files } = await downloadCifar("cifar100", {
      dataDirectory: target,
      url: `${baseUrl}/cifar-100-binary.tar.gz`,
      md5,
      onProgress: () => progressCalls++,
    });
    expect(directory).toBe(path.join(target, "cifar-100-binary"));
    expect(files.map((file) => path.basename(file)).sort()).toEqual(["coarse_label_names.txt", "fine_label_names.txt", "test.bin", "train.bin.gz"]);
    expect(progressCalls).toBeGreaterThan(0);
    const data = loadCifar("cifar100", { dataDirectory: target });
    expect(data.train.count).toBe(50_000);
    expect(data.test.count).toBe(10_000);
    expect(Array.from(data.train.labels.subarray(0, 12))).toEqual(Array.from(marked.labels));
    expect(data.test.images.subarray(0, 12 * IMAGE_VALUES)).toEqual(marked.images);
  });

  test("a wrong md5, a missing file and an HTTP error are clear errors; file:// works too", async () => {
    const small = path.join(temporary, "small");
    mkdirSync(path.join(small, "cifar-10-batches-bin"), { recursive: true });
    writeFileSync(path.join(small, "cifar-10-batches-bin", "readme.html"), "hello");
    const archive = execFileSync("tar", ["-czf", "-", "-C", small, "cifar-10-batches-bin"]);
    const file = path.join(temporary, "small.tar.gz");
    writeFileSync(file, archive);
    await expect(downloadCifar("cifar10", { dataDirectory: path.join(temporary, "x"), url: pathToFileURL(file).href })).rejects.toThrow(
      /md5 .* differs from the expected c32a1d4ab5d03f1284b67883e8d87530/,
    );
    const out = await downloadCifar("cifar10", { dataDirectory: path.join(temporary, "y"), url: pathToFileURL(file).href, md5: null });
    expect(readFileSync(path.join(out.directory, "readme.html"), "utf8")).toBe("hello");
    await expect(downloadCifar("cifar10", { dataDirectory: path.join(temporary, "z"), url: `${baseUrl}/missing.tar.gz` })).rejects.toThrow(/HTTP 404/);
  });

  test("archive entries that would escape the data directory are refused", async () => {
    const header = Buffer.alloc(512);
    header.write("../evil.txt", 0);
    header.write("0000644\0", 100);
    header.write("0000000\0", 108);
    header.write("0000000\0", 116);
    header.write("00000000004\0", 124);
    header.write("00000000000\0", 136);
    header.write("0", 156);
    header.write("ustar\0", 257);
    header.write("00", 263);
    header.fill(" ", 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    const tar = Buffer.concat([header, Buffer.from("evil".padEnd(512, "\0")), Buffer.alloc(1024)]);
    served.set("/evil.tar.gz", gzipSync(tar));
    const target = path.join(temporary, "safe");
    await expect(downloadCifar("cifar10", { dataDirectory: target, url: `${baseUrl}/evil.tar.gz`, md5: null })).rejects.toThrow(/outside/);
    expect(existsSync(path.join(temporary, "evil.txt"))).toBe(false);
  });
});
