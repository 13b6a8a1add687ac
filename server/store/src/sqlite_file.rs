//! The SQLite database file on disk, readable by its owner only.
//!
//! The file holds password hashes and encrypted OAuth tokens. SQLite creates a missing database
//! file with mode 0644 (less the umask), so [`make_private`] creates it first with 0600; SQLite then
//! opens the existing (empty) file, and gives its `-wal` and `-shm` files the database file's
//! mode. A file left group- or world-readable by an older orgsync is narrowed to 0600, with a
//! warning.

use std::{io, path::Path};

/// The companions SQLite keeps beside the database file in WAL mode.
const COMPANION_SUFFIXES: [&str; 2] = ["-wal", "-shm"];

/// Creates `path` empty with mode 0600 if it does not exist, and narrows it (and any `-wal` /
/// `-shm` beside it) to 0600 if group or others may access it.
pub(crate) fn make_private(path: &Path) -> io::Result<()> {
    create_private(path)?;
    narrow(path)?;
    for suffix in COMPANION_SUFFIXES {
        let mut companion = path.as_os_str().to_owned();
        companion.push(suffix);
        match narrow(Path::new(&companion)) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(())
}

/// Creates an empty file with mode 0600; an existing file is left as it is.
fn create_private(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

/// Sets mode 0600 on an existing file that group or others may access.
#[cfg(unix)]
fn narrow(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        tracing::warn!(
            path = %path.display(),
            "the database file was readable by other users (mode {:o}); it is now 0600",
            mode & 0o777
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn narrow(path: &Path) -> io::Result<()> {
    std::fs::metadata(path).map(|_| ())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_file_is_created_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("orgsync.db");
        make_private(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        assert_eq!(std::fs::metadata(&db).unwrap().len(), 0);
    }

    #[test]
    fn an_existing_readable_file_and_its_companions_are_narrowed() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("orgsync.db");
        let wal = dir.path().join("orgsync.db-wal");
        for path in [&db, &wal] {
            std::fs::write(path, b"data").unwrap();
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        make_private(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&wal), 0o600);
        assert_eq!(std::fs::read(&db).unwrap(), b"data", "contents kept");
    }
}
