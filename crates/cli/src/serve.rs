//! `sweep serve`: the API, the pages and the background worker in one process.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sweep_domain::ids::JobId;
use sweep_web::{AppState, WebConfig};

use crate::config::Config;
use crate::{ServeArgs, demo, open_with};

pub async fn run(mut config: Config, args: ServeArgs) -> anyhow::Result<()> {
    if let Some(addr) = args.addr {
        config.addr = addr;
    }
    if let Some(url) = args.public_url {
        config.public_url = Some(url);
    }
    if let (Some(cert), Some(key)) = (args.tls_cert, args.tls_key) {
        config.tls_cert = Some(cert);
        config.tls_key = Some(key);
    }
    let addr: SocketAddr = config.addr.parse().with_context(|| format!("--addr {:?} is not HOST:PORT", config.addr))?;
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
        (None, None) => None,
        _ => anyhow::bail!("TLS needs both a certificate and a key"),
    };

    let scheme = if tls.is_some() { "https" } else { "http" };
    let public_url = config.public_url.clone().unwrap_or_else(|| default_public_url(scheme, addr));
    let mut settings = config.settings();
    settings.public_url = public_url.trim_end_matches('/').to_string();
    // Provider notifications (the sandbox's) come from inside this process: loopback.
    settings.callback_url = default_public_url(scheme, addr);
    if args.demo {
        // The demo pays in the sandbox and through the provider simulator.
        config.payment_sandbox = true;
        config.payment_gateways_anywhere = true;
    }
    let (sweep, db, sandbox) = open_with(&config, settings).await?;
    let seeded = if args.demo { Some(demo::seed(&sweep).await.map_err(crate::app_error)?) } else { None };
    if seeded.as_ref().is_some_and(|s| s.created) {
        demo::seed_history(&sweep, &db).await?;
    }
    // The demo pays through the provider simulator, served by this process under
    // /paysim: the demo merchant's WeChat Pay and Alipay accounts point at it.
    let simulator = args.demo.then(|| {
        sweep_paysim::Simulator::new(sweep_paysim::SimConfig {
            public_base: format!("{}/paysim", public_url.trim_end_matches('/')),
            ..Default::default()
        })
    });
    if let Some(sim) = &simulator {
        demo::connect_simulator(&sweep, sim).await.map_err(crate::app_error)?;
    }

    let mut web = WebConfig::new(&public_url);
    web.trusted_proxies = config.trusted_proxies.iter().filter_map(|n| n.parse().ok()).collect();
    web.sms_outbox_page = config.sms_outbox_page || args.demo;
    web.metrics_token = config.metrics_token.clone().filter(|t| !t.is_empty());
    web.header_read_timeout = Duration::from_secs(config.header_read_timeout_secs);
    let state = AppState { sweep: sweep.clone(), config: Arc::new(web), metrics: sweep_web::metrics::handle() };
    let mut extra = sandbox.map(sweep_pay::sandbox::router).unwrap_or_default();
    if let Some(sim) = &simulator {
        extra = extra.nest("/paysim", sim.router());
    }
    let header_read_timeout = state.config.header_read_timeout;
    let app = sweep_web::router_with(state, extra);

    let (stop_worker, worker_stopped) = tokio::sync::watch::channel(false);
    let worker = config.run_worker.then(|| {
        tokio::spawn(
            sweep.clone().run_worker(format!("worker-{}-{}", std::process::id(), JobId::new()), worker_stopped),
        )
    });

    let base = public_url.trim_end_matches('/');
    println!("Sweep is running on {} ({}).", sweep_store::redact(&config.database_url()), db.backend().name());
    println!("  Open           {base}/");
    println!("  Staff sign-in  {base}/login");
    println!("  API            {base}/api/openapi.json");
    if let Ok(Some(_)) = sweep.repos().merchants.merchant_by_slug(demo::SLUG).await {
        println!("  Demo shop      {base}/s/{}", demo::SLUG);
        println!("  Counter        {base}/clerk");
    }
    if config.sms_outbox_page || args.demo {
        println!("  SMS outbox     {base}/dev/sms");
    }
    if simulator.is_some() {
        println!("  Pay simulator  {base}/paysim/ (WeChat Pay and Alipay, no real money)");
    }
    if addr.ip().is_unspecified() && config.public_url.is_none() {
        println!(
            "  (listening on every interface: pass --public-url http://<this machine's LAN address>:{} for phones)",
            addr.port()
        );
    }
    if let Some(seeded) = seeded {
        if let Some(sale) = seeded.flash_sale {
            println!("  Flash sale     {base}/s/{}/flash/{sale} (starts two minutes after seeding)", demo::SLUG);
        }
        demo::print_logins(seeded);
    }

    match tls {
        Some((cert, key)) => {
            let rustls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                .await
                .with_context(|| format!("loading TLS certificate {} and key {}", cert.display(), key.display()))?;
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            tokio::spawn(async move {
                shutdown_signal().await;
                stopper.graceful_shutdown(Some(Duration::from_secs(10)));
            });
            let mut server = axum_server::bind_rustls(addr, rustls).handle(handle);
            // axum-server turns hyper's header read timeout off: slow clients would hold
            // their connections for ever.
            server.http_builder().http1().header_read_timeout(header_read_timeout);
            server.serve(app.into_make_service_with_connect_info::<SocketAddr>()).await?;
        }
        None => {
            let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("listening on {addr}"))?;
            let server = sweep_web::serve::serve(listener, app, header_read_timeout, shutdown_signal());
            // Keep-alive connections (a provider's HTTP client, an idle browser) must not
            // hold the exit for ever: ten seconds after the signal, stop regardless.
            tokio::select! {
                _ = server => {},
                _ = async {
                    shutdown_signal().await;
                    tokio::time::sleep(Duration::from_secs(10)).await;
                } => tracing::warn!("connections still open 10 s after the stop signal; stopping anyway"),
            }
        }
    }
    let _ = stop_worker.send(true);
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    db.close().await;
    Ok(())
}

/// `sweep paysim`: the provider simulator on its own port, for pointing a Sweep (or
/// anything else that speaks WeChat Pay v3 or Alipay) at without the internet.
pub async fn paysim(addr: &str, public_url: Option<String>) -> anyhow::Result<()> {
    let addr: SocketAddr = addr.parse().with_context(|| format!("--addr {addr:?} is not HOST:PORT"))?;
    let base = public_url.unwrap_or_else(|| default_public_url("http", addr)).trim_end_matches('/').to_string();
    let sim = sweep_paysim::Simulator::new(sweep_paysim::SimConfig { public_base: base.clone(), ..Default::default() });
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("listening on {addr}"))?;
    println!("The payment simulator is running (no real money).");
    println!("  Open             {base}/");
    println!("  New accounts     POST {base}/sim/accounts/wechatpay  and  POST {base}/sim/accounts/alipay");
    println!("  (PUT the JSON they return to Sweep's /api/v1/payment-accounts/{{provider}})");
    axum::serve(listener, sim.router()).with_graceful_shutdown(shutdown_signal()).await?;
    Ok(())
}

fn default_public_url(scheme: &str, addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("{scheme}://127.0.0.1:{}", addr.port())
    } else {
        format!("{scheme}://{addr}")
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down");
}
