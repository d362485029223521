//! Analytics: sales by day and channel, mobile share, stores, products, members and
//! points, flash sales and the scan funnel over a range of days, drawn with ECharts
//! and exported as CSV table by table. Every table on the page is one `Table`, so
//! the page and its CSV files cannot drift apart.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use sweep_app::analytics::{Analytics, DayRange};
use sweep_domain::channel::Channel;
use sweep_domain::roles::Permission;
use sweep_domain::text::Lang;

use super::{Chrome, Console, yuan};
use crate::extract::ApiPath;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/analytics", get(show)).route("/console/analytics/{table}", get(export))
}

#[derive(Deserialize, Default)]
struct RangeQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// One table of the report, as shown and as exported.
pub struct Table {
    pub key: &'static str,
    pub title: &'static str,
    pub headers: Vec<&'static str>,
    /// Columns holding figures (right-aligned).
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn is_numeric(&self, column: &usize) -> bool {
        self.numeric.get(*column).copied().unwrap_or(false)
    }
}

pub struct Chart {
    pub title: &'static str,
    pub option: String,
}

#[derive(Template)]
#[template(path = "console/analytics.html")]
struct AnalyticsPage {
    c: Chrome,
    from: String,
    to: String,
    presets: Vec<(String, &'static str)>,
    figures: Vec<(&'static str, String)>,
    charts: Vec<Chart>,
    tables: Vec<Table>,
    query: String,
}

async fn report(s: &AppState, console: &Console, q: &RangeQuery) -> Result<Analytics, Response> {
    if !console.can(Permission::ViewReports) {
        return Err(console.refusal(StatusCode::FORBIDDEN, console.tr("你没有权限查看数据", "You may not see reports")));
    }
    let range = DayRange::parse(&q.from, &q.to, s.sweep.today()).map_err(|e| console.failed(&e))?;
    s.sweep.analytics(&console.actor, range).await.map_err(|e| console.failed(&e))
}

fn range_query(uri: &axum::http::Uri) -> RangeQuery {
    serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default()
}

async fn show(State(s): State<AppState>, console: Console, uri: axum::http::Uri) -> Response {
    let q = range_query(&uri);
    let report = match report(&s, &console, &q).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let lang = console.lang;
    let tr = |zh, en| console.tr(zh, en);
    let today = s.sweep.today();
    let presets = [(7, "近 7 天", "Last 7 days"), (30, "近 30 天", "Last 30 days"), (90, "近 90 天", "Last 90 days")]
        .into_iter()
        .map(|(n, zh, en)| (format!("from={}&to={today}", today.plus(1 - n)), tr(zh, en)))
        .collect();
    let t = &report.totals;
    let mut figures = vec![
        (tr("成交额", "GMV"), format!("¥{}", yuan(t.gmv))),
        (tr("下单数", "Orders placed"), t.placed.to_string()),
        (tr("支付订单", "Orders paid"), t.paid.to_string()),
        (tr("客单价", "Average paid order"), format!("¥{}", yuan(t.gmv.checked_div(t.paid).unwrap_or(0)))),
    ];
    if !report.store_scoped {
        figures.push((tr("移动端占比", "Mobile share"), percent(report.mobile_share_bp)));
    }
    if let Some(m) = &report.members {
        figures.push((tr("会员总数", "Members"), m.members.to_string()));
        figures.push((tr("积分负债", "Points outstanding"), m.points_outstanding.to_string()));
    }
    let page = AnalyticsPage {
        c: console.chrome(tr("数据分析", "Analytics")),
        from: report.range.from.to_string(),
        to: report.range.to.to_string(),
        presets,
        figures,
        charts: charts(&report, &console),
        tables: tables(&report, lang, &console),
        query: format!("from={}&to={}", report.range.from, report.range.to),
    };
    console.page(&page)
}

/// `GET /console/analytics/<table>.csv`: one table of the report, UTF-8 with a BOM so
/// spreadsheet programs read Chinese names.
async fn export(
    State(s): State<AppState>,
    console: Console,
    ApiPath(file): ApiPath<String>,
    uri: axum::http::Uri,
) -> Response {
    let Some(key) = file.strip_suffix(".csv") else {
        return console.refusal(StatusCode::NOT_FOUND, console.tr("没有这个表", "No such table"));
    };
    let report = match report(&s, &console, &range_query(&uri)).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let Some(table) = tables(&report, console.lang, &console).into_iter().find(|t| t.key == key) else {
        return console.refusal(StatusCode::NOT_FOUND, console.tr("没有这个表", "No such table"));
    };
    let name = format!("{key}-{}-{}.csv", report.range.from, report.range.to);
    csv_download(&name, std::iter::once(table.headers.iter().map(|h| h.to_string()).collect()).chain(table.rows))
}

/// A CSV file for download. Cells that a spreadsheet would run as a formula get a
/// leading apostrophe.
pub fn csv_download(name: &str, rows: impl IntoIterator<Item = Vec<String>>) -> Response {
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    for row in rows {
        if out.write_record(row.iter().map(|cell| neutralise(cell))).is_err() {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    let Ok(body) = out.into_inner() else { return StatusCode::INTERNAL_SERVER_ERROR.into_response() };
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

fn neutralise(cell: &str) -> String {
    // Negative figures stay numbers; text starting like a formula does not.
    let is_number = cell.parse::<f64>().is_ok();
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !is_number => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

fn percent(bp: i64) -> String {
    format!("{}.{}%", bp / 100, (bp % 100) / 10)
}

fn channel_name(lang: Lang, c: Channel) -> &'static str {
    let (zh, en) = match c {
        Channel::Mobile => ("手机浏览器", "Mobile browser"),
        Channel::Wechat => ("微信", "WeChat"),
        Channel::Alipay => ("支付宝", "Alipay"),
        Channel::Web => ("电脑网页", "Desktop web"),
        Channel::Pos => ("门店收银", "In store (POS)"),
        Channel::Api => ("接口", "API"),
    };
    if lang == Lang::En { en } else { zh }
}

fn charts(r: &Analytics, console: &Console) -> Vec<Chart> {
    let tr = |zh, en| console.tr(zh, en);
    let days: Vec<String> = r.days.iter().map(|d| d.day.to_string()[5..].to_string()).collect();
    let mut charts = vec![];
    let line = |name: &str, values: Vec<Value>| json!({"name": name, "type": "line", "smooth": true, "data": values});
    let stacked = |name: &str, values: Vec<Value>| json!({"name": name, "type": "bar", "stack": "all", "data": values});
    let base = |series: Vec<Value>, y: Value| {
        json!({
            "tooltip": {"trigger": "axis"}, "legend": {"top": 0}, "grid": {"left": 60, "right": 20, "top": 40, "bottom": 30},
            "xAxis": {"type": "category", "data": days}, "yAxis": y, "series": series
        })
    };
    if r.store_scoped {
        let gmv = r.days.iter().map(|d| json!(d.total.gmv as f64 / 100.0)).collect();
        let orders = r.days.iter().map(|d| json!(d.total.placed)).collect();
        charts.push(Chart {
            title: tr("每日成交额（元）", "GMV per day (yuan)"),
            option: base(vec![line(tr("成交额", "GMV"), gmv)], json!({"type": "value"})).to_string(),
        });
        charts.push(Chart {
            title: tr("每日订单", "Orders per day"),
            option: base(vec![line(tr("订单", "Orders"), orders)], json!({"type": "value"})).to_string(),
        });
    } else {
        let used: Vec<usize> = (0..Channel::ALL.len()).filter(|i| r.channel_totals[*i].1.placed > 0).collect();
        let by_channel = |value: &dyn Fn(&sweep_app::analytics::Sales) -> Value| -> Vec<Value> {
            used.iter()
                .map(|&i| {
                    stacked(
                        channel_name(console.lang, Channel::ALL[i]),
                        r.days.iter().map(|d| value(&d.channels[i])).collect(),
                    )
                })
                .collect()
        };
        charts.push(Chart {
            title: tr("每日成交额（元），按渠道", "GMV per day by channel (yuan)"),
            option: base(by_channel(&|s| json!(s.gmv as f64 / 100.0)), json!({"type": "value"})).to_string(),
        });
        charts.push(Chart {
            title: tr("每日订单，按渠道", "Orders per day by channel"),
            option: base(by_channel(&|s| json!(s.placed)), json!({"type": "value"})).to_string(),
        });
        let share = r.days.iter().map(|d| d.mobile_share_bp().map_or(Value::Null, |bp| json!(bp / 100))).collect();
        charts.push(Chart {
            title: tr("移动端订单占比（%）", "Mobile share of orders (%)"),
            option: base(vec![line(tr("移动端", "Mobile"), share)], json!({"type": "value", "max": 100})).to_string(),
        });
    }
    if !r.stores.is_empty() {
        let names: Vec<String> = r.stores.iter().rev().map(|s| s.name.get(console.lang).to_string()).collect();
        let gmv: Vec<Value> = r.stores.iter().rev().map(|s| json!(s.sales.gmv as f64 / 100.0)).collect();
        charts.push(Chart {
            title: tr("门店排行（成交额，元）", "Store leaderboard (GMV, yuan)"),
            option: json!({
                "tooltip": {}, "grid": {"left": 120, "right": 30, "top": 10, "bottom": 30},
                "xAxis": {"type": "value"}, "yAxis": {"type": "category", "data": names},
                "series": [{"type": "bar", "data": gmv, "itemStyle": {"color": "#e4393c"}}]
            })
            .to_string(),
        });
    }
    if let Some(m) = &r.members {
        let joined: Vec<Value> = m.days.iter().map(|d| json!(d.joined)).collect();
        let total: Vec<Value> = m.days.iter().map(|d| json!(d.members)).collect();
        let points: Vec<Value> = m.days.iter().map(|d| json!(d.points_outstanding)).collect();
        charts.push(Chart {
            title: tr("会员增长", "Member growth"),
            option: json!({
                "tooltip": {"trigger": "axis"}, "legend": {"top": 0}, "grid": {"left": 60, "right": 60, "top": 40, "bottom": 30},
                "xAxis": {"type": "category", "data": days},
                "yAxis": [{"type": "value", "name": tr("新会员", "New")}, {"type": "value", "name": tr("会员总数", "All")}],
                "series": [
                    {"name": tr("新会员", "New members"), "type": "bar", "data": joined},
                    {"name": tr("会员总数", "All members"), "type": "line", "yAxisIndex": 1, "data": total}
                ]
            })
            .to_string(),
        });
        charts.push(Chart {
            title: tr("积分负债（未使用积分）", "Points liability (points outstanding)"),
            option: base(vec![line(tr("未使用积分", "Points outstanding"), points)], json!({"type": "value"}))
                .to_string(),
        });
    }
    charts
}

fn tables(r: &Analytics, lang: Lang, console: &Console) -> Vec<Table> {
    let tr = |zh, en| console.tr(zh, en);
    let mut tables = vec![];
    let sales_headers =
        [tr("下单数", "Orders placed"), tr("支付订单", "Orders paid"), tr("成交额（元）", "GMV (yuan)")];
    let sales_cells = |s: &sweep_app::analytics::Sales| vec![s.placed.to_string(), s.paid.to_string(), yuan(s.gmv)];
    let mut headers = vec![tr("日期", "Day")];
    headers.extend(sales_headers);
    let mut numeric = vec![false, true, true, true];
    let phone_share = !r.store_scoped;
    if phone_share {
        headers.push(tr("移动端占比", "Mobile share"));
        numeric.push(true);
    }
    tables.push(Table {
        key: "days",
        title: tr("每日销售", "Sales by day"),
        headers,
        numeric,
        rows: r
            .days
            .iter()
            .map(|d| {
                let mut row = vec![d.day.to_string()];
                row.extend(sales_cells(&d.total));
                if phone_share {
                    row.push(d.mobile_share_bp().map_or_else(|| "-".into(), percent));
                }
                row
            })
            .collect(),
    });
    if !r.store_scoped {
        let mut headers = vec![tr("渠道", "Channel")];
        headers.extend(sales_headers);
        tables.push(Table {
            key: "channels",
            title: tr("按渠道", "By channel"),
            headers,
            numeric: vec![false, true, true, true],
            rows: r
                .channel_totals
                .iter()
                .map(|(c, s)| {
                    let mut row = vec![channel_name(lang, *c).to_string()];
                    row.extend(sales_cells(s));
                    row
                })
                .collect(),
        });
    }
    let mut headers = vec![tr("门店", "Store"), tr("编号", "Code")];
    headers.extend(sales_headers);
    tables.push(Table {
        key: "stores",
        title: tr("门店排行", "Store leaderboard"),
        headers,
        numeric: vec![false, false, true, true, true],
        rows: r
            .stores
            .iter()
            .map(|s| {
                let mut row = vec![s.name.get(lang).to_string(), s.code.clone()];
                row.extend(sales_cells(&s.sales));
                row
            })
            .collect(),
    });
    if !r.store_scoped {
        tables.push(Table {
            key: "products",
            title: tr("热销商品", "Top products"),
            headers: vec![tr("商品", "Product"), tr("件数", "Units"), tr("成交额（元）", "GMV (yuan)")],
            numeric: vec![false, true, true],
            rows: r
                .products
                .iter()
                .map(|p| vec![p.name.get(lang).to_string(), p.units.to_string(), yuan(p.gmv)])
                .collect(),
        });
    }
    if let Some(m) = &r.members {
        tables.push(Table {
            key: "members",
            title: tr("会员增长与积分", "Members and points"),
            headers: vec![
                tr("日期", "Day"),
                tr("新会员", "New members"),
                tr("会员总数", "All members"),
                tr("未使用积分", "Points outstanding"),
            ],
            numeric: vec![false, true, true, true],
            rows: m
                .days
                .iter()
                .map(|d| {
                    vec![
                        d.day.to_string(),
                        d.joined.to_string(),
                        d.members.to_string(),
                        d.points_outstanding.to_string(),
                    ]
                })
                .collect(),
        });
        tables.push(Table {
            key: "points",
            title: tr("积分负债", "Points liability"),
            headers: vec![
                tr("会员总数", "Members"),
                tr("持有积分的会员", "Members holding points"),
                tr("未使用积分", "Points outstanding"),
            ],
            numeric: vec![true, true, true],
            rows: vec![vec![m.members.to_string(), m.holding_points.to_string(), m.points_outstanding.to_string()]],
        });
    }
    if !r.store_scoped {
        tables.push(Table {
            key: "flash",
            title: tr("秒杀结果", "Flash-sale results"),
            headers: vec![
                tr("秒杀", "Sale"),
                tr("开始", "Starts"),
                tr("库存池", "Pool"),
                tr("已抢", "Taken"),
                tr("订单", "Orders"),
                tr("已支付", "Paid orders"),
                tr("实收（元）", "Paid, net (yuan)"),
            ],
            numeric: vec![false, false, true, true, true, true, true],
            rows: r
                .flash
                .iter()
                .map(|f| {
                    vec![
                        f.name.clone(),
                        sweep_domain::day::CstDay::of(f.starts_at).to_string(),
                        f.pool.to_string(),
                        f.taken.to_string(),
                        f.orders.to_string(),
                        f.paid_orders.to_string(),
                        yuan(f.paid_amount),
                    ]
                })
                .collect(),
        });
    }
    let funnel_headers = |first: &'static str| {
        vec![
            first,
            tr("扫码", "Scans"),
            tr("浏览", "Views"),
            tr("加购", "Carts"),
            tr("下单", "Orders"),
            tr("支付", "Paid"),
            tr("支付金额（元）", "Paid (yuan)"),
        ]
    };
    let funnel_rows = |rows: &[sweep_app::cards::funnel::FunnelRow]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|f| {
                vec![
                    if f.label.is_empty() { tr("（无门店）", "(no store)").to_string() } else { f.label.clone() },
                    f.scans.to_string(),
                    f.views.to_string(),
                    f.carts.to_string(),
                    f.orders.to_string(),
                    f.paid_orders.to_string(),
                    yuan(f.paid_amount),
                ]
            })
            .collect()
    };
    tables.push(Table {
        key: "funnel-stores",
        title: tr("扫码转化，按门店", "Scan funnel by store"),
        headers: funnel_headers(tr("门店", "Store")),
        numeric: vec![false, true, true, true, true, true, true],
        rows: funnel_rows(&r.funnel),
    });
    tables.push(Table {
        key: "funnel-cards",
        title: tr("扫码转化，按展示卡", "Scan funnel by display card"),
        headers: funnel_headers(tr("展示卡", "Card")),
        numeric: vec![false, true, true, true, true, true, true],
        rows: funnel_rows(&r.funnel_cards),
    });
    tables
}
