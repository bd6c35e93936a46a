//! Files artifacts as gzip-compressed tar archives (starlark-api.md §7.5): packing a
//! directory, a file or rendered templates, unpacking, the `store_service_files` layout,
//! and the MD5 content hash used for upload idempotency.

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use md5::{Digest, Md5};
use std::io::{self, Read};
use std::path::{Component, Path};

/// One regular file of an archive: relative path and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveFile {
    pub path: String,
    pub content: Vec<u8>,
    pub mode: u32,
}

fn builder() -> tar::Builder<GzEncoder<Vec<u8>>> {
    let mut b = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    b.mode(tar::HeaderMode::Deterministic);
    b.follow_symlinks(false);
    b
}

fn finish(b: tar::Builder<GzEncoder<Vec<u8>>>) -> io::Result<Vec<u8>> {
    b.into_inner()?.finish()
}

/// Packs a file (under its base name) or a directory (its contents at the root).
pub fn pack_path(path: &Path) -> io::Result<Vec<u8>> {
    let meta = fs_err::metadata(path)?;
    let mut b = builder();
    if meta.is_dir() {
        b.append_dir_all(".", path)?;
    } else {
        let name = path.file_name().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("path `{}` has no file name", path.display()),
            )
        })?;
        let mut file = fs_err::File::open(path)?;
        b.append_file(name, file.file_mut())?;
    }
    finish(b)
}

/// Packs a single in-memory file at the root under `name`.
pub fn pack_bytes(name: &str, content: &[u8]) -> io::Result<Vec<u8>> {
    pack_files(&[(name.to_owned(), content.to_vec())])
}

/// Packs rendered files: paths with a leading `/` stripped, parent directories 0755,
/// files 0644.
pub fn pack_files(files: &[(String, Vec<u8>)]) -> io::Result<Vec<u8>> {
    let mut b = builder();
    let mut dirs = std::collections::BTreeSet::new();
    for (path, content) in files {
        let rel = clean_relative(path)?;
        let parts: Vec<&str> = rel.split('/').collect();
        for i in 1..parts.len() {
            let dir = parts.iter().take(i).copied().collect::<Vec<_>>().join("/");
            if dirs.insert(dir.clone()) {
                let mut h = tar::Header::new_gnu();
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                b.append_data(&mut h, format!("{dir}/"), io::empty())?;
            }
        }
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        h.set_size(content.len() as u64);
        b.append_data(&mut h, &rel, content.as_slice())?;
    }
    finish(b)
}

fn clean_relative(path: &str) -> io::Result<String> {
    let mut parts = Vec::new();
    for c in Path::new(path.trim_start_matches('/')).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir | Component::RootDir => {}
            Component::ParentDir | Component::Prefix(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("path `{path}` leaves the artifact root"),
                ));
            }
        }
    }
    if parts.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("path `{path}` names no file"),
        ));
    }
    Ok(parts.join("/"))
}

/// Every regular file of a gzip-compressed tar archive, sorted by path.
pub fn unpack(tgz: &[u8]) -> io::Result<Vec<ArchiveFile>> {
    list_tar(GzDecoder::new(tgz))
}

/// Every regular file of an uncompressed tar archive, sorted by path.
pub fn list_tar(reader: impl Read) -> io::Result<Vec<ArchiveFile>> {
    let mut archive = tar::Archive::new(reader);
    let mut files = Vec::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path()?.to_string_lossy().into_owned();
        let path = path.trim_start_matches("./").to_owned();
        let mode = entry.header().mode().unwrap_or(0o644);
        let mut content = Vec::new();
        entry.read_to_end(&mut content)?;
        files.push(ArchiveFile {
            path,
            content,
            mode,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The path to copy out of the container for a `store_service_files` source (`/a/b/*` →
/// `/a/b`), and whether the archive root must be the contents of that path.
pub fn store_source(src: &str) -> (String, bool) {
    match src.strip_suffix("/*") {
        Some("") => ("/".to_owned(), true),
        Some(parent) => (parent.to_owned(), true),
        None => (src.to_owned(), false),
    }
}

/// Turns the uncompressed tar copied out of a container (root = base name of the path) into
/// a stored artifact: as is, or with the first path component stripped for `/*` sources.
pub fn store_layout(tar_bytes: &[u8], contents_only: bool) -> io::Result<Vec<u8>> {
    let mut archive = tar::Archive::new(tar_bytes);
    let mut b = builder();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.to_string_lossy().into_owned();
        let path = path.trim_start_matches("./").trim_start_matches('/');
        let rel = if contents_only {
            match path.split_once('/') {
                Some((_, rest)) if !rest.is_empty() => rest.to_owned(),
                _ => continue,
            }
        } else {
            path.to_owned()
        };
        let mut header = entry.header().clone();
        let mut data = Vec::new();
        entry.read_to_end(&mut data)?;
        if header.entry_type().is_symlink() || header.entry_type().is_hard_link() {
            let target = entry.link_name()?.map(|t| t.to_path_buf());
            if let Some(target) = target {
                b.append_link(&mut header, &rel, target)?;
            }
            continue;
        }
        b.append_data(&mut header, &rel, data.as_slice())?;
    }
    finish(b)
}

/// MD5 over relative paths and file bytes in path order, as 32 hex characters.
pub fn content_hash(tgz: &[u8]) -> io::Result<String> {
    let mut md5 = Md5::new();
    for file in unpack(tgz)? {
        md5.update(file.path.as_bytes());
        md5.update([0]);
        md5.update(&file.content);
        md5.update([0]);
    }
    Ok(md5.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(tgz: &[u8]) -> Vec<String> {
        unpack(tgz).unwrap().into_iter().map(|f| f.path).collect()
    }

    #[test]
    fn directory_contents_sit_at_the_root() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(dir.path().join("sub")).unwrap();
        fs_err::write(dir.path().join("a.txt"), "a").unwrap();
        fs_err::write(dir.path().join("sub/b.txt"), "b").unwrap();
        let tgz = pack_path(dir.path()).unwrap();
        assert_eq!(paths(&tgz), vec!["a.txt", "sub/b.txt"]);
        let single = pack_path(&dir.path().join("sub/b.txt")).unwrap();
        assert_eq!(paths(&single), vec!["b.txt"]);
    }

    #[test]
    fn rendered_paths_lose_their_leading_slash() {
        let tgz = pack_files(&[
            ("/foo/bar/x.txt".to_owned(), b"x".to_vec()),
            ("y.txt".to_owned(), b"y".to_vec()),
        ])
        .unwrap();
        let files = unpack(&tgz).unwrap();
        assert_eq!(files[0].path, "foo/bar/x.txt");
        assert_eq!(files[0].content, b"x");
        assert_eq!(files[1].path, "y.txt");
        assert!(pack_files(&[("../x".to_owned(), vec![])]).is_err());
    }

    fn container_tar() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (p, c) in [("foo/a.txt", "a"), ("foo/d/b.txt", "b")] {
            let mut h = tar::Header::new_gnu();
            h.set_size(c.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, p, c.as_bytes()).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn store_layout_keeps_or_strips_the_base_name() {
        assert_eq!(store_source("/tmp/foo/*"), ("/tmp/foo".to_owned(), true));
        assert_eq!(store_source("/tmp/foo"), ("/tmp/foo".to_owned(), false));
        let kept = store_layout(&container_tar(), false).unwrap();
        assert_eq!(paths(&kept), vec!["foo/a.txt", "foo/d/b.txt"]);
        let stripped = store_layout(&container_tar(), true).unwrap();
        assert_eq!(paths(&stripped), vec!["a.txt", "d/b.txt"]);
    }

    #[test]
    fn hash_follows_content() {
        let a = pack_bytes("x", b"1").unwrap();
        let b = pack_bytes("x", b"1").unwrap();
        let c = pack_bytes("x", b"2").unwrap();
        assert_eq!(content_hash(&a).unwrap(), content_hash(&b).unwrap());
        assert_ne!(content_hash(&a).unwrap(), content_hash(&c).unwrap());
        assert_eq!(content_hash(&a).unwrap().len(), 32);
    }
}
