//! Where evidence files live: a local directory (the default, beside the SQLite file) or an
//! S3-compatible bucket (AWS S3, MinIO, Ceph, R2, …) chosen by configuration. Either way the
//! handlers see one `Arc<dyn ObjectStore>`.
//!
//! S3 credentials and the region come from the standard `AWS_*` variables (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`, web identity, instance or task
//! roles), as every AWS tool reads them; the settings here override them where given.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig};

use crate::error::ApiError;

/// Where evidence files are stored.
#[derive(Clone, Debug)]
pub enum Storage {
    /// A local directory (created when missing).
    Directory(PathBuf),
    /// An S3-compatible bucket.
    S3(S3Settings),
}

/// An S3-compatible bucket, with an optional key prefix and endpoint.
#[derive(Clone)]
pub struct S3Settings {
    /// `s3://bucket` or `s3://bucket/prefix`.
    pub url: String,
    /// An S3-compatible endpoint such as `http://minio:9000`; AWS when absent.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("url", &self.url)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Storage {
    /// Chooses S3 for an `s3://` URL, a local directory otherwise.
    pub fn from_settings(
        url: Option<&str>,
        endpoint: Option<String>,
        region: Option<String>,
        directory: PathBuf,
    ) -> Result<Self, String> {
        match url {
            None => Ok(Storage::Directory(directory)),
            Some(url) if url.starts_with("s3://") => Ok(Storage::S3(S3Settings {
                url: url.to_string(),
                endpoint,
                region,
                access_key_id: None,
                secret_access_key: None,
            })),
            Some(other) => Err(format!(
                "SHOPGAP_ATTACHMENTS_URL must be an s3:// URL (got {other:?}); \
                 use SHOPGAP_ATTACHMENTS_DIR for a local directory"
            )),
        }
    }

    /// Builds the store. Nothing is contacted yet; [`check`] does that.
    pub fn open(&self) -> Result<Arc<dyn ObjectStore>, String> {
        match self {
            Storage::Directory(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
                    .map_err(|e| format!("cannot use {}: {e}", dir.display()))?;
                Ok(Arc::new(store))
            }
            Storage::S3(s3) => {
                let (bucket, prefix) = split_s3_url(&s3.url)?;
                let mut builder = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    // A phone waits on the upload: fail within seconds (503, it retries later)
                    // rather than after object_store's default three minutes of retries.
                    .with_retry(RetryConfig {
                        backoff: BackoffConfig::default(),
                        max_retries: 3,
                        retry_timeout: Duration::from_secs(20),
                    })
                    .with_client_options(
                        ClientOptions::new()
                            .with_connect_timeout(Duration::from_secs(5))
                            .with_timeout(Duration::from_secs(60)),
                    );
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"))
                        // MinIO and most self-hosted stores address buckets by path.
                        .with_virtual_hosted_style_request(false);
                }
                if let Some(region) = &s3.region {
                    builder = builder.with_region(region);
                }
                if let Some(key) = &s3.access_key_id {
                    builder = builder.with_access_key_id(key);
                }
                if let Some(secret) = &s3.secret_access_key {
                    builder = builder.with_secret_access_key(secret);
                }
                let store = builder
                    .build()
                    .map_err(|e| format!("S3 settings for {}: {e}", s3.url))?;
                Ok(match prefix {
                    Some(prefix) => Arc::new(PrefixStore::new(store, prefix)),
                    None => Arc::new(store),
                })
            }
        }
    }

    /// A description for the start-up log, without secrets.
    pub fn describe(&self) -> String {
        match self {
            Storage::Directory(dir) => format!("directory {}", dir.display()),
            Storage::S3(s3) => match &s3.endpoint {
                Some(endpoint) => format!("{} at {endpoint}", s3.url),
                None => s3.url.clone(),
            },
        }
    }
}

/// Asks the store for an object that does not exist, so a wrong bucket, endpoint or credential
/// stops the server at start instead of failing the first shopper's upload.
pub async fn check(store: &dyn ObjectStore) -> Result<(), String> {
    match store.head(&ObjectPath::from(".shopgap-probe")).await {
        Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(format!("evidence storage is not usable: {e}")),
    }
}

/// A storage failure as the client sees it: 503, so the phone keeps the file and retries. A file
/// whose row exists but whose bytes are gone is a server fault, logged as such.
pub fn storage_error(err: object_store::Error) -> ApiError {
    match err {
        object_store::Error::NotFound { path, .. } => {
            ApiError::internal(format!("evidence file missing from storage: {path}"))
        }
        other => {
            tracing::warn!(error = %other, "evidence storage failed");
            ApiError::Unavailable("evidence storage is not reachable; retry later".into())
        }
    }
}

/// The bytes of an upload written to the store but not yet recorded. Unless [`keep`] is called
/// once the row is committed, the object is deleted when this is dropped: the upload failed
/// after writing (a conflict, the database away) or the client went away mid-request. So no
/// failed upload leaves bytes behind in storage.
///
/// [`keep`]: PendingObject::keep
pub struct PendingObject {
    store: Arc<dyn ObjectStore>,
    path: Option<ObjectPath>,
}

impl PendingObject {
    pub async fn put(
        store: Arc<dyn ObjectStore>,
        path: &str,
        bytes: actix_web::web::Bytes,
    ) -> Result<Self, ApiError> {
        let path = ObjectPath::from(path);
        store
            .put(&path, bytes.into())
            .await
            .map_err(storage_error)?;
        Ok(PendingObject {
            store,
            path: Some(path),
        })
    }

    /// The row that names the object is committed: the object stays.
    pub fn keep(mut self) {
        self.path = None;
    }
}

impl Drop for PendingObject {
    fn drop(&mut self) {
        let Some(path) = self.path.take() else {
            return;
        };
        let store = self.store.clone();
        let delete = async move {
            if let Err(e) = store.delete(&path).await {
                tracing::warn!(error = %e, %path, "could not remove the bytes of a failed upload");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(delete);
            }
            Err(_) => tracing::warn!("no runtime to remove the bytes of a failed upload"),
        }
    }
}

/// `s3://bucket/some/prefix` → (`bucket`, `Some("some/prefix")`).
fn split_s3_url(url: &str) -> Result<(&str, Option<&str>), String> {
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| format!("not an s3:// URL: {url}"))?;
    let (bucket, prefix) = match rest.split_once('/') {
        Some((bucket, prefix)) => (bucket, Some(prefix.trim_matches('/'))),
        None => (rest, None),
    };
    if bucket.is_empty() {
        return Err(format!("no bucket in {url}"));
    }
    Ok((bucket, prefix.filter(|p| !p.is_empty())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_split_into_bucket_and_prefix() {
        assert_eq!(split_s3_url("s3://evidence"), Ok(("evidence", None)));
        assert_eq!(split_s3_url("s3://evidence/"), Ok(("evidence", None)));
        assert_eq!(
            split_s3_url("s3://evidence/prod/shopgap/"),
            Ok(("evidence", Some("prod/shopgap")))
        );
        assert!(split_s3_url("s3:///x").is_err());
        assert!(split_s3_url("https://evidence").is_err());
    }

    #[test]
    fn only_s3_urls_choose_s3() {
        let dir = PathBuf::from("/data/attachments");
        assert!(matches!(
            Storage::from_settings(None, None, None, dir.clone()),
            Ok(Storage::Directory(d)) if d == dir
        ));
        assert!(matches!(
            Storage::from_settings(Some("s3://b/p"), None, None, dir.clone()),
            Ok(Storage::S3(_))
        ));
        assert!(Storage::from_settings(Some("gs://b"), None, None, dir).is_err());
    }

    #[test]
    fn secrets_stay_out_of_logs() {
        let settings = S3Settings {
            url: "s3://b".into(),
            endpoint: None,
            region: None,
            access_key_id: Some("AKIA".into()),
            secret_access_key: Some("very-secret".into()),
        };
        assert!(!format!("{settings:?}").contains("very-secret"));
    }
}
