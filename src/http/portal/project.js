// A whole project: a folder (dropped, or chosen with a directory input) or
// an archive (.tar, .tar.gz, .tgz, .zip), sent as `project` parts of a
// form so the service runs the CLI's discovery over it. Walking a folder is
// bounded (files and bytes), iterative, and skips .git and node_modules.

/** At most this many files are sent from a folder. */
export const MAX_FILES = 1000;
/** At most this many bytes are sent from a folder or as an archive. */
export const MAX_BYTES = 8 * 1024 * 1024;
/** Folders never worth sending. */
const SKIP = new Set([".git", "node_modules"]);

const ARCHIVE = /\.(tar|tar\.gz|tgz|zip)$/i;

/** Why a project could not be taken; the message is for the user. */
export class ProjectError extends Error {}

/**
 * A project from one archive file: `{ files: [{name, size, blob}], archive: true }`.
 */
export function fromArchive(file) {
  if (!ARCHIVE.test(file.name))
    throw new ProjectError(`${file.name} is not an archive upcheck reads (.tar, .tar.gz, .tgz or .zip)`);
  if (file.size > MAX_BYTES)
    throw new ProjectError(`${file.name} is ${mib(file.size)}: the portal sends at most ${mib(MAX_BYTES)}`);
  return { files: [{ name: file.name, size: file.size, blob: file }], archive: true, skipped: [] };
}

/** A project from a directory input's files (each knows its relative path). */
export function fromFileList(list) {
  const files = [];
  const skipped = new Set();
  for (const f of list) {
    const name = f.webkitRelativePath || f.name;
    const dir = name.split("/").slice(0, -1).find((part) => SKIP.has(part));
    if (dir) {
      skipped.add(dir);
      continue;
    }
    files.push({ name, size: f.size, blob: f });
  }
  return bounded({ files, archive: false, skipped: [...skipped] });
}

/**
 * A project from a drop: one archive, or folders and files walked through
 * `webkitGetAsEntry`. Stops walking at the bounds.
 */
export async function fromDrop(dataTransfer) {
  const entries = [...dataTransfer.items]
    .filter((i) => i.kind === "file")
    .map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry())
    .filter(Boolean);
  if (entries.length === 1 && entries[0].isFile && ARCHIVE.test(entries[0].name)) {
    return fromArchive(await asFile(entries[0]));
  }
  if (!entries.length) {
    const list = [...dataTransfer.files];
    if (list.length === 1 && ARCHIVE.test(list[0].name)) return fromArchive(list[0]);
    return fromFileList(list);
  }
  const files = [];
  const skipped = [];
  let bytes = 0;
  const stack = entries.slice().reverse();
  while (stack.length) {
    const entry = stack.pop();
    if (entry.isDirectory) {
      if (SKIP.has(entry.name)) {
        skipped.push(entry.fullPath.replace(/^\//, ""));
        continue;
      }
      const children = await readAll(entry.createReader());
      children.sort((a, b) => (a.name < b.name ? 1 : -1));
      stack.push(...children);
    } else if (entry.isFile) {
      const file = await asFile(entry);
      files.push({ name: entry.fullPath.replace(/^\//, ""), size: file.size, blob: file });
      bytes += file.size;
      if (files.length > MAX_FILES || bytes > MAX_BYTES) break;
    }
  }
  return bounded({ files, archive: false, skipped });
}

function bounded(project) {
  const bytes = project.files.reduce((n, f) => n + f.size, 0);
  if (project.files.length > MAX_FILES)
    throw new ProjectError(
      `The folder holds more than ${MAX_FILES} files: send an archive of the part that matters, or use the CLI (upcheck validate DIR)`);
  if (bytes > MAX_BYTES)
    throw new ProjectError(
      `The folder holds more than ${mib(MAX_BYTES)}: send an archive of the part that matters, or use the CLI (upcheck validate DIR)`);
  if (!project.files.length) throw new ProjectError("The folder holds no files");
  return project;
}

function asFile(entry) {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

// A directory reader answers in batches until an empty one.
async function readAll(reader) {
  const all = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) return all;
    all.push(...batch);
    if (all.length > MAX_FILES) return all;
  }
}

function mib(n) {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * The directory every file of a folder project sits below ("" when none
 * does): the project directory, which the service names paths from.
 */
export function topDir(project) {
  const first = project.files[0].name.split("/");
  if (project.archive || first.length < 2) return "";
  const top = first[0] + "/";
  return project.files.every((f) => f.name.startsWith(top)) ? top : "";
}

/**
 * The text of each small file of a folder project, by its path in the
 * report (relative to the project directory), to show the offending lines
 * (an archive is unpacked by the service only).
 */
export async function texts(project) {
  const sent = new Map();
  if (project.archive) return sent;
  const top = topDir(project);
  for (const f of project.files) {
    if (f.size <= 256 * 1024) sent.set(f.name.slice(top.length), await f.blob.text());
  }
  return sent;
}

/** The form parts of the project: one `project` part per file, named by its path. */
export function appendParts(form, project) {
  for (const f of project.files) form.append("project", f.blob, f.name);
}
