use std::path::PathBuf;

use async_trait::async_trait;
use sweep_app::ports::{MediaStore, StoreError, StoreResult};

/// Uploaded files in a directory, named by content hash. Writes go to a temporary file
/// first and are renamed into place, so a reader never sees half a file.
pub struct FsMedia {
    dir: PathBuf,
}

impl FsMedia {
    pub fn new(dir: PathBuf) -> FsMedia {
        FsMedia { dir }
    }
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Other(format!("media: {e}"))
}

#[async_trait]
impl MediaStore for FsMedia {
    async fn put(&self, key: &str, bytes: &[u8]) -> StoreResult<()> {
        tokio::fs::create_dir_all(&self.dir).await.map_err(io)?;
        let path = self.dir.join(key);
        if tokio::fs::try_exists(&path).await.map_err(io)? {
            return Ok(()); // same name, same bytes
        }
        let tmp = self.dir.join(format!(".{key}.{}.tmp", uuid::Uuid::now_v7()));
        tokio::fs::write(&tmp, bytes).await.map_err(io)?;
        tokio::fs::rename(&tmp, &path).await.map_err(io)
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        match tokio::fs::read(self.dir.join(key)).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }
}
