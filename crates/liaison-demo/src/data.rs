//! The demo's business data (policy §3.3; issue 13): three data sets (`sales`, `inventory`,
//! `market_share`), monthly requirements for distributors and agents and a quarterly one for
//! market share. Eighteen months of figures are written by the history (`history::data`).

use crate::Result;
use liaison_app::data::{self as app, DatasetInput, RequirementInput};
use liaison_core::Actor;
use liaison_core::data::{Aggregate, Column, ColumnKind};
use liaison_db::Db;

fn column(name: &str, zh: &str, en: &str, kind: ColumnKind, unit: &str, required: bool) -> Column {
    Column {
        name: name.into(),
        label_zh: zh.into(),
        label_en: en.into(),
        kind,
        scale: 0,
        unit: unit.into(),
        required,
        min: None,
        max: None,
        aggregate: None,
    }
}

fn at_least_zero(mut c: Column) -> Column {
    c.min = Some(0.0);
    c
}

/// The three data sets of the issue, with their schemas.
pub fn datasets() -> Vec<DatasetInput> {
    let mut amount = at_least_zero(column(
        "amount_cny",
        "销售额",
        "Amount",
        ColumnKind::Decimal,
        "CNY",
        true,
    ));
    amount.scale = 2;
    let mut share = column(
        "share_pct",
        "市场份额",
        "Market share",
        ColumnKind::Decimal,
        "%",
        true,
    );
    share.scale = 1;
    share.min = Some(0.0);
    share.max = Some(100.0);
    share.aggregate = Some(Aggregate::Mean);
    vec![
        DatasetInput {
            code: Some("sales".into()),
            name_zh: Some("月度销售".into()),
            name_en: Some("Monthly sales".into()),
            description: Some(
                "每月按产品和省份报送销量与销售额（不含税，人民币）。\n\nMonthly units and \
                 amount (CNY, before tax) per product and province."
                    .into(),
            ),
            columns: Some(vec![
                column(
                    "product_code",
                    "产品编码",
                    "Product code",
                    ColumnKind::ProductCode,
                    "",
                    true,
                ),
                column(
                    "region",
                    "省份",
                    "Province",
                    ColumnKind::RegionCode,
                    "",
                    true,
                ),
                at_least_zero(column(
                    "units",
                    "销量",
                    "Units",
                    ColumnKind::Integer,
                    "台",
                    true,
                )),
                amount,
            ]),
            series_by: Some("product_code".into()),
            classification: Some("confidential".into()),
            active: Some(true),
        },
        DatasetInput {
            code: Some("inventory".into()),
            name_zh: Some("月末库存".into()),
            name_en: Some("Month-end inventory".into()),
            description: Some(
                "每月最后一天各仓库的在库数量。\n\nUnits on hand in each warehouse on the \
                 last day of the month."
                    .into(),
            ),
            columns: Some(vec![
                column(
                    "product_code",
                    "产品编码",
                    "Product code",
                    ColumnKind::ProductCode,
                    "",
                    true,
                ),
                column("warehouse", "仓库", "Warehouse", ColumnKind::Text, "", true),
                at_least_zero(column(
                    "units_on_hand",
                    "在库数量",
                    "Units on hand",
                    ColumnKind::Integer,
                    "台",
                    true,
                )),
            ]),
            series_by: Some("product_code".into()),
            classification: Some("confidential".into()),
            active: Some(true),
        },
        DatasetInput {
            code: Some("market_share".into()),
            name_zh: Some("市场份额".into()),
            name_en: Some("Market share".into()),
            description: Some(
                "每季度按品类和省份估计我方产品的市场份额。\n\nOur products' estimated share \
                 of each category's market per province, each quarter."
                    .into(),
            ),
            columns: Some(vec![
                column("category", "品类", "Category", ColumnKind::Text, "", true),
                column(
                    "region",
                    "省份",
                    "Province",
                    ColumnKind::RegionCode,
                    "",
                    true,
                ),
                share,
            ]),
            series_by: Some("category".into()),
            classification: Some("confidential".into()),
            active: Some(true),
        },
    ]
}

/// The data sets and requirements, unless there are some.
pub async fn load_data(db: &Db, admin: &Actor) -> Result<()> {
    if !liaison_db::data::list_datasets(db, false).await?.is_empty() {
        return Ok(());
    }
    for d in datasets() {
        app::create_dataset(db, admin, &d).await?;
    }
    for (dataset, kind, period, due, remind) in [
        ("sales", "distributor", "monthly", 5, 3),
        ("sales", "agent", "monthly", 5, 3),
        ("inventory", "distributor", "monthly", 3, 2),
        ("market_share", "distributor", "quarterly", 10, 5),
    ] {
        app::create_requirement(
            db,
            admin,
            &RequirementInput {
                dataset: Some(dataset.into()),
                partner_kind: Some(kind.into()),
                segment_id: None,
                period: Some(period.into()),
                due_working_days: Some(due),
                remind_days: Some(remind),
                active: Some(true),
            },
        )
        .await?;
    }
    Ok(())
}
