//! The test macros: one test body, run once on SQLite and once on PostgreSQL.

/// Declares a test that runs once on SQLite and once on PostgreSQL (skipped with a notice when
/// `LINTEL_TEST_POSTGRES_URL` is unset).
macro_rules! backend_test {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = $crate::support::TestApp::sqlite().await;
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($app) = $crate::support::TestApp::postgres().await else {
                    return;
                };
                $body
            }
        }
    };
}

/// Like [`backend_test!`], with the `ApiConfig` expression `$config` for both runs.
macro_rules! backend_test_with {
    ($name:ident, $config:expr, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = $crate::support::TestApp::sqlite_with($config).await;
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($app) = $crate::support::TestApp::postgres_with($config).await else {
                    return;
                };
                $body
            }
        }
    };
}
