// The files of a build: one output by name (the preview, downloads), and the signed bundle as a
// file on disk for the HTTP API's streaming download (written once per bundle hash, atomically).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Db } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { loadArtifact, loadBuild } from "./artifact-views";
import type { ManifestOutput } from "./manifest";
import { getBlob } from "./store";

export type BuildFile = { fileName: string; contentType: string; bytes: Buffer; sha256: string };

async function succeededBuild(db: Db, ventureId: string, artifactId: string, buildId: string) {
  const artifact = await loadArtifact(db, ventureId, artifactId);
  const build = await loadBuild(db, artifactId, buildId);
  if (build.status !== "succeeded")
    throw new AppError("CONFLICT", `Build ${buildId} is ${build.status}: it has no files yet`);
  return { artifact, build };
}

export async function getBuildFile(options: {
  db: Db;
  ventureId: string;
  artifactId: string;
  buildId: string;
  name: string;
}): Promise<BuildFile> {
  const { artifact, build } = await succeededBuild(
    options.db,
    options.ventureId,
    options.artifactId,
    options.buildId,
  );
  if (options.name === "bundle.zip") {
    const blob = await getBlob(options.db, build.bundleSha256!);
    if (!blob) throw new AppError("NOT_FOUND", `The bundle of build ${build.id} is missing`);
    return {
      fileName: `${artifact.slug}-v${build.versionNumber}.zip`,
      contentType: "application/zip",
      bytes: blob.bytes,
      sha256: build.bundleSha256!,
    };
  }
  const [row] = await options.db.$queryRawUnsafe<Array<{ outputs: ManifestOutput[] }>>(
    "SELECT outputs FROM artifact_builds WHERE id = $1",
    build.id,
  );
  const output = row?.outputs.find((o) => o.name === options.name);
  if (!output)
    throw new AppError("NOT_FOUND", `Build ${build.id} has no file ${options.name}`, {
      fields: { name: "unknown file" },
    });
  const blob = await getBlob(options.db, output.sha256);
  if (!blob) throw new AppError("NOT_FOUND", `The file ${options.name} of build ${build.id} is missing`);
  return {
    fileName: path.basename(output.name),
    contentType: output.contentType,
    bytes: blob.bytes,
    sha256: output.sha256,
  };
}

/** The bundle as a file (for HTTP streaming), cached by its hash under the system's temp folder. */
export async function bundleFile(options: {
  db: Db;
  ventureId: string;
  artifactId: string;
  buildId: string;
}): Promise<{ fileName: string; filePath: string; contentType: string; bytes: number; sha256: string }> {
  const file = await getBuildFile({ ...options, name: "bundle.zip" });
  const dir = path.join(os.tmpdir(), "venture-artifact-bundles");
  fs.mkdirSync(dir, { recursive: true });
  const filePath = path.join(dir, `${file.sha256}.zip`);
  if (!fs.existsSync(filePath)) {
    const temporary = `${filePath}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, file.bytes);
    fs.renameSync(temporary, filePath);
  }
  return {
    fileName: file.fileName,
    filePath,
    contentType: file.contentType,
    bytes: file.bytes.length,
    sha256: file.sha256,
  };
}
