"""Write the example mesh's sample data: small Parquet files that DuckDB reads.

    python examples/generate_data.py                      # the committed files, byte for byte
    python examples/generate_data.py --as-of now --out DIR  # timestamps relative to now

Every value comes from a hash of the row number, so the files are a pure function of the
reference time `--as-of` (UTC): the same --as-of gives byte-identical files. Dates and
timestamps are placed relative to it (the newest rows a few minutes old). The committed files
are written as of REFERENCE_AS_OF, and the example recipe declares that instant
(`quality.sample_data_as_of`), so the quality stage reads them as if written just now: the
demo passes its freshness checks on any day without regenerating anything.

Products declare locations such as s3://data-products/sales/orders/; the recipe maps the
prefix s3://data-products/ to examples/mesh/data/, where each product gets one file,
e.g. examples/mesh/data/sales/orders/part-00000.parquet.

Two failures are in the data on purpose (see examples/README.md): a TikTok campaign in
campaign_performance (channel outside the contract's list) and two stuck sessions over
12 hours in user_engagement (session_minutes above the contract's max). Everything else
meets its contract.
"""

import argparse
import datetime as dt
import sys
from pathlib import Path

import duckdb

DATA_DIR = Path(__file__).resolve().parent / "mesh" / "data"
FILE_NAME = "part-00000.parquet"

# h(salt, n): a deterministic pseudo-random integer in [0, 1_000_000) for row n.
MACROS = """
CREATE MACRO h(salt, n) AS CAST(hash(salt || ':' || CAST(n AS VARCHAR)) % 1000000 AS BIGINT);
CREATE MACRO pick(list, salt, n) AS list[1 + h(salt, n) % len(list)];
"""

TABLES = {
    # sales ----------------------------------------------------------------------------------
    "sales/customers": """
        SELECT
            'C' || lpad(CAST(i AS VARCHAR), 6, '0') AS id,
            first || ' ' || last AS customer_name,
            lower(first) || '.' || lower(last) || '.' || lpad(CAST(i AS VARCHAR), 4, '0') || '@example.com'
                AS customer_email,
            CASE WHEN h('phone?', i) % 20 = 0 THEN NULL
                 ELSE '+1' || CAST(2000000000 + h('phone', i) * 7919 % 7999999999 AS VARCHAR) END AS customer_phone,
            pick(['US', 'US', 'US', 'GB', 'DE', 'FR', 'NL', 'CA', 'ES'], 'country', i) AS country,
            CASE WHEN h('segment', i) % 100 < 5 THEN 'platinum'
                 WHEN h('segment', i) % 100 < 25 THEN 'gold'
                 WHEN h('segment', i) % 100 < 60 THEN 'silver'
                 ELSE 'bronze' END AS customer_segment,
            created_at,
            greatest(created_at, CASE WHEN i % 40 = 0 THEN as_of() - to_minutes(3 + i % 17)
                                      ELSE as_of() - to_minutes(h('updated', i) % (60 * 24 * 30)) END) AS updated_at
        FROM (
            SELECT i,
                   pick(['Ana', 'Ben', 'Chloe', 'David', 'Emma', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas',
                         'Keira', 'Liam', 'Maya', 'Noah', 'Olga', 'Pavel', 'Quinn', 'Rosa', 'Sam', 'Tara'], 'first', i) AS first,
                   pick(['Garcia', 'Smith', 'Muller', 'Martin', 'Rossi', 'Jansen', 'Silva', 'Novak', 'Tanaka',
                         'Dubois', 'Kowalski', 'Brown', 'Lopez', 'Schmidt', 'Nguyen'], 'last', i) AS last,
                   as_of() - to_minutes(60 * 24 * 30 + h('created', i) % (60 * 24 * 900)) AS created_at
            FROM range(1, 401) t(i)
        )
        ORDER BY id
    """,
    "sales/orders": """
        SELECT
            o.order_id,
            o.customer_id,
            o.order_date,
            o.total_amount,
            o.status,
            c.customer_segment,
            o.product_count
        FROM (
            SELECT
                'SO-' || lpad(CAST(i AS VARCHAR), 7, '0') AS order_id,
                'C' || lpad(CAST(1 + h('customer', i) % 400 AS VARCHAR), 6, '0') AS customer_id,
                CAST(as_of() AS DATE) - CAST(i % 90 AS INTEGER) AS order_date,
                CAST(round(12 + (h('amount', i) % 60000) / 100.0, 2) AS DECIMAL(12, 2)) AS total_amount,
                CASE WHEN i % 90 < 2 AND h('status', i) % 100 < 40 THEN 'pending'
                     WHEN h('status', i) % 100 < 80 THEN 'completed'
                     WHEN h('status', i) % 100 < 88 THEN 'pending'
                     WHEN h('status', i) % 100 < 94 THEN 'cancelled'
                     ELSE 'refunded' END AS status,
                CAST(1 + h('items', i) % 8 AS INTEGER) AS product_count
            FROM range(1, 2401) t(i)
        ) o
        JOIN customers c ON c.id = o.customer_id
        ORDER BY o.order_id
    """,
    "sales/revenue_metrics": """
        SELECT
            md5(CAST(order_date AS VARCHAR) || '|' || customer_segment) AS metric_key,
            order_date AS metric_date,
            customer_segment,
            CAST(count(*) AS INTEGER) AS order_count,
            CAST(sum(total_amount) AS DECIMAL(14, 2)) AS gross_revenue,
            CAST(coalesce(sum(total_amount) FILTER (WHERE status = 'refunded'), 0) AS DECIMAL(14, 2)) AS refunded_amount,
            CAST(sum(total_amount) - coalesce(sum(total_amount) FILTER (WHERE status = 'refunded'), 0) AS DECIMAL(14, 2))
                AS net_revenue,
            CAST(round(sum(total_amount) / count(*), 2) AS DECIMAL(12, 2)) AS avg_order_value,
            as_of() - to_minutes(35) AS computed_at
        FROM orders
        GROUP BY order_date, customer_segment
        ORDER BY metric_date, customer_segment
    """,
    # marketing ------------------------------------------------------------------------------
    "marketing/campaign_performance": """
        WITH campaigns AS (
            SELECT 'CMP-' || lpad(CAST(c AS VARCHAR), 4, '0') AS campaign_id,
                   pick(['email', 'paid_search', 'social', 'display', 'affiliate'], 'channel', c) AS channel,
                   pick(['Spring Sale', 'Brand Awareness', 'Win-back', 'Newsletter', 'Retargeting',
                         'Partner Promo', 'Product Launch', 'Holiday Deals'], 'cname', c) || ' ' || c AS campaign_name,
                   45 AS days
            FROM range(1, 25) t(c)
            UNION ALL
            -- launched three days ago on a channel the contract does not list yet
            SELECT 'CMP-0025', 'tiktok', 'Creator Launch 25', 3
        ),
        days AS (
            SELECT campaign_id, channel, campaign_name, d,
                   CAST(as_of() AS DATE) - CAST(d + 1 AS INTEGER) AS report_date,
                   1000 + h('impr' || campaign_id, d) % 80000 AS impressions
            FROM campaigns, range(0, 45) t(d)
            WHERE d < days
        )
        SELECT
            campaign_id || '-' || strftime(report_date, '%Y%m%d') AS campaign_day_id,
            campaign_id,
            campaign_name,
            channel,
            report_date,
            CAST(impressions AS BIGINT) AS impressions,
            CAST(impressions * (5 + h('ctr' || campaign_id, d) % 45) // 1000 AS BIGINT) AS clicks,
            CAST(impressions * (5 + h('ctr' || campaign_id, d) % 45) // 1000 * (1 + h('cvr' || campaign_id, d) % 9) // 100
                 AS INTEGER) AS conversions,
            CAST(round(impressions * (2 + h('cpm' || campaign_id, d) % 12) / 1000.0, 2) AS DECIMAL(12, 2)) AS spend,
            CAST(impressions * (5 + h('ctr' || campaign_id, d) % 45) // 1000 AS DOUBLE) / impressions AS ctr,
            as_of() - to_minutes(d * 24 * 60 + 15 + h('loaded' || campaign_id, d) % 30) AS loaded_at
        FROM days
        ORDER BY campaign_day_id
    """,
    "marketing/lead_attribution": """
        WITH leads AS (
            SELECT i,
                   'CMP-' || lpad(CAST(1 + h('lead-campaign', i) % 24 AS VARCHAR), 4, '0') AS campaign_id,
                   h('converted', i) % 100 < 30 AS converted,
                   'SO-' || lpad(CAST(1 + h('lead-order', i) % 2400 AS VARCHAR), 7, '0') AS order_id
            FROM range(1, 1501) t(i)
        )
        SELECT
            'L' || lpad(CAST(3000000 + i AS VARCHAR), 7, '0') AS lead_id,
            l.campaign_id,
            c.channel,
            as_of() - to_minutes(60 * 24 + h('touch', i) % (60 * 24 * 44)) AS first_touch_at,
            pick(['first_touch', 'first_touch', 'last_touch', 'linear'], 'model', i) AS attribution_model,
            l.converted,
            CASE WHEN l.converted THEN o.order_id END AS first_order_id,
            CAST(CASE WHEN l.converted THEN o.total_amount ELSE 0 END AS DECIMAL(12, 2)) AS attributed_revenue,
            as_of() - to_minutes(50 + h('lead-updated', i) % 1000) AS updated_at
        FROM leads l
        JOIN (SELECT DISTINCT campaign_id, channel FROM campaign_performance) c USING (campaign_id)
        JOIN orders o ON o.order_id = l.order_id
        ORDER BY lead_id
    """,
    "marketing/customer_profile": """
        SELECT
            c.id AS customer_id,
            c.customer_email AS email,
            c.customer_phone AS phone,
            CAST(c.created_at AS DATE) AS registration_date,
            c.customer_segment AS segment,
            CAST(coalesce(sum(o.total_amount) FILTER (WHERE o.status = 'completed'), 0) AS DECIMAL(12, 2)) AS lifetime_value,
            CAST(count(o.order_id) AS INTEGER) AS total_orders,
            max(o.order_date) AS last_purchase_date,
            CASE WHEN h('acq', c.id) % 10 < 6
                 THEN pick(['email', 'paid_search', 'social', 'display', 'affiliate'], 'acq-channel', c.id) END
                AS acquisition_channel,
            pick(['email', 'email', 'sms', 'push', 'none'], 'pref', c.id) AS communication_preference,
            as_of() - to_minutes(5 + h('profile', c.id) % 40) AS updated_at
        FROM customers c
        LEFT JOIN orders o ON o.customer_id = c.id
        GROUP BY ALL
        ORDER BY customer_id
    """,
    # product --------------------------------------------------------------------------------
    "product/feature_usage": """
        WITH grid AS (
            SELECT CAST(as_of() AS DATE) - CAST(d AS INTEGER) AS usage_date,
                   ['reports.export', 'dashboards.share', 'billing.invoices', 'search.global', 'alerts.create',
                    'api.tokens', 'workflows.run', 'files.upload', 'comments.mention', 'integrations.slack',
                    'admin.sso', 'exports.scheduled'][f] AS feature_id,
                   'ACC-' || lpad(CAST(a AS VARCHAR), 4, '0') AS account_id,
                   d * 10000 + f * 100 + a AS n
            FROM range(0, 30) t1(d), range(1, 13) t2(f), range(1, 9) t3(a)
        )
        SELECT
            md5(CAST(usage_date AS VARCHAR) || '|' || feature_id || '|' || account_id || '|' || platform) AS usage_id,
            usage_date, feature_id, account_id, platform,
            CAST(1 + h('users', n) % 40 AS INTEGER) AS active_users,
            CAST((1 + h('users', n) % 40) * (1 + h('events', n) % 60) AS BIGINT) AS event_count,
            CAST(round(5 + (h('seconds', n) % 90000) / 100.0, 1) AS DOUBLE) AS avg_seconds_per_user,
            least(as_of() - to_minutes(12), CAST(usage_date AS TIMESTAMP) + INTERVAL 1 DAY + INTERVAL 10 MINUTE)
                AS aggregated_at
        FROM (SELECT *, pick(['web', 'web', 'web', 'ios', 'android', 'api'], 'platform', n) AS platform
              FROM grid WHERE h('used', n) % 5 <> 0)
        ORDER BY usage_date, feature_id, account_id
    """,
    "product/user_engagement": """
        WITH rows AS (
            SELECT u, d, u * 100 + d AS n,
                   'U' || lpad(CAST(u AS VARCHAR), 6, '0') AS user_id,
                   'ACC-' || lpad(CAST(1 + u % 8 AS VARCHAR), 4, '0') AS account_id,
                   CAST(as_of() AS DATE) - CAST(d AS INTEGER) AS activity_date
            FROM range(1, 151) t1(u), range(0, 14) t2(d)
            WHERE h('active', u * 100 + d) % 4 <> 0 OR u * 100 + d IN (4203, 11707)
        )
        SELECT
            md5(user_id || '|' || CAST(activity_date AS VARCHAR)) AS engagement_id,
            user_id, account_id, activity_date,
            CAST(1 + h('sessions', n) % 9 AS INTEGER) AS sessions,
            CAST(CASE WHEN n IN (4203, 11707) THEN 1312.5 + n % 7  -- a client that never closed its session
                      ELSE round((1 + h('sessions', n) % 9) * (3 + (h('minutes', n) % 3700) / 100.0), 1) END
                 AS DOUBLE) AS session_minutes,
            CAST(h('features', n) % 13 AS INTEGER) AS features_used,
            CAST(round((h('score', n) % 1001) / 10.0, 1) AS DOUBLE) AS engagement_score,
            as_of() - to_minutes(25) AS computed_at
        FROM rows
        ORDER BY user_id, activity_date
    """,
    # finance --------------------------------------------------------------------------------
    "finance/general_ledger": """
        WITH journals AS (
            SELECT j,
                   'JE' || lpad(CAST(j AS VARCHAR), 6, '0') AS journal_id,
                   pick(['billing', 'billing', 'billing', 'erp', 'erp', 'payroll'], 'source', j) AS source_system,
                   pick(['USD', 'USD', 'USD', 'USD', 'USD', 'USD', 'EUR', 'EUR', 'EUR', 'GBP'], 'currency', j) AS currency,
                   CAST(round(50 + (h('je-amount', j) % 2000000) / 100.0, 2) AS DECIMAL(14, 2)) AS amount,
                   h('split', j) % 4 = 0 AS split,
                   as_of() - to_minutes((400 - j) * 97 + 4) AS posted_at
            FROM range(1, 401) t(j)
        ),
        accounts AS (
            SELECT * FROM (VALUES
                ('billing', '1100', 'Accounts Receivable', '4000', 'Product Revenue', '4100', 'Service Revenue'),
                ('erp', '5000', 'Cost of Goods Sold', '2100', 'Accounts Payable', '1000', 'Cash'),
                ('payroll', '6100', 'Salaries', '2200', 'Payroll Liabilities', '1000', 'Cash')
            ) a(source_system, debit_code, debit_name, credit_code, credit_name, credit2_code, credit2_name)
        ),
        lines AS (
            SELECT j.*, a.* EXCLUDE (source_system), l AS line
            FROM journals j JOIN accounts a USING (source_system), range(1, 4) t(l)
            WHERE l < 3 OR j.split
        )
        SELECT
            journal_id || '-' || lpad(CAST(line AS VARCHAR), 2, '0') AS entry_id,
            journal_id,
            CASE line WHEN 1 THEN debit_code WHEN 2 THEN credit_code ELSE credit2_code END AS account_code,
            CASE line WHEN 1 THEN debit_name WHEN 2 THEN credit_name ELSE credit2_name END AS account_name,
            CAST(posted_at AS DATE) AS posting_date,
            CAST(CASE line WHEN 1 THEN amount ELSE 0 END AS DECIMAL(14, 2)) AS debit,
            CAST(CASE WHEN line = 1 THEN 0
                      WHEN NOT split THEN amount
                      WHEN line = 2 THEN round(amount * 0.6, 2)
                      ELSE amount - round(amount * 0.6, 2) END AS DECIMAL(14, 2)) AS credit,
            currency,
            source_system,
            posted_at
        FROM lines
        ORDER BY entry_id
    """,
    "finance/accounts_receivable": """
        WITH invoices AS (
            SELECT row_number() OVER (ORDER BY o.order_id) AS n, o.order_id, o.customer_id, c.customer_email,
                   o.order_date AS invoice_date, o.order_date + 30 AS due_date, o.total_amount AS amount_due
            FROM orders o JOIN customers c ON c.id = o.customer_id
            WHERE o.status IN ('completed', 'refunded') AND h('invoiced', o.order_id) % 2 = 0
        ),
        paid AS (
            SELECT *,
                   CAST(as_of() AS DATE) - due_date AS overdue_days,
                   CASE WHEN h('pay', n) % 100 < 55 THEN 'full'
                        WHEN h('pay', n) % 100 < 70 THEN 'partial'
                        WHEN h('pay', n) % 100 < 73 THEN 'written_off'
                        ELSE 'none' END AS payment
            FROM invoices
        )
        SELECT
            'INV-' || lpad(CAST(7000000 + n AS VARCHAR), 7, '0') AS invoice_id,
            order_id, customer_id, customer_email, invoice_date, due_date,
            CAST(amount_due AS DECIMAL(12, 2)) AS amount_due,
            CAST(CASE payment WHEN 'full' THEN amount_due WHEN 'partial' THEN round(amount_due * 0.4, 2) ELSE 0 END
                 AS DECIMAL(12, 2)) AS amount_paid,
            CASE WHEN payment = 'full' THEN 'paid'
                 WHEN payment = 'written_off' AND overdue_days > 45 THEN 'written_off'
                 WHEN overdue_days > 0 THEN 'overdue'
                 WHEN payment = 'partial' THEN 'partially_paid'
                 ELSE 'open' END AS status,
            CAST(CASE WHEN payment = 'full' THEN 0 ELSE greatest(0, overdue_days) END AS INTEGER) AS days_past_due,
            greatest(CAST(invoice_date AS TIMESTAMP),
                     CASE WHEN n % 50 = 0 THEN as_of() - to_minutes(3 + n % 20)
                          ELSE as_of() - to_minutes(3 + h('ar-updated', n) % (60 * 24 * 20)) END) AS updated_at
        FROM paid
        ORDER BY invoice_id
    """,
}

# Tables other tables are built from are kept in the session under these names.
VIEW_NAMES = {
    "sales/customers": "customers",
    "sales/orders": "orders",
    "marketing/campaign_performance": "campaign_performance",
}


# The instant the committed sample data is written as of; recipes/mesh.yml declares the same
# instant as quality.sample_data_as_of.
REFERENCE_AS_OF = dt.datetime(2026, 11, 23, 12, 0)


def default_as_of() -> dt.datetime:
    return REFERENCE_AS_OF


def parse_as_of(text: str) -> dt.datetime:
    if text == "now":
        return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, second=0, microsecond=0)
    return dt.datetime.fromisoformat(text)


def generate(out_dir: Path = DATA_DIR, as_of: dt.datetime = None) -> dict:
    """Write one Parquet file per product location under out_dir; return {location: rows}."""
    as_of = as_of or default_as_of()
    con = duckdb.connect()
    con.execute("SET threads = 1")  # one writer thread: row groups and bytes do not vary between runs
    con.execute("SET TimeZone = 'UTC'")
    con.execute(MACROS)
    con.execute(f"CREATE MACRO as_of() AS TIMESTAMP '{as_of.isoformat(sep=' ')}'")
    counts = {}
    for location, query in TABLES.items():
        table = VIEW_NAMES.get(location, location.replace("/", "_"))
        con.execute(f"CREATE TEMP TABLE {table} AS {query}")
        target = out_dir / location / FILE_NAME
        target.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY (SELECT * FROM {table}) TO '{target}' (FORMAT PARQUET, COMPRESSION ZSTD)")
        counts[location] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    counts.update(write_logistics_tables(con, out_dir))
    con.close()
    return counts


# logistics: the domain written in the open standards (ODCS contracts, an ODPS product) ---------------
LOGISTICS_TABLES = {
    "logistics/carriers": """
        SELECT 'CAR' || lpad(CAST(i AS VARCHAR), 3, '0') AS carrier_id,
               pick(['Rapid', 'Northern', 'Blue', 'Coastal', 'Prime', 'Urban'], 'carrier', i) || ' '
                   || pick(['Freight', 'Express', 'Logistics', 'Parcel'], 'carrier2', i) AS carrier_name,
               pick(['US', 'GB', 'DE', 'FR', 'NL'], 'carrier-country', i) AS country,
               i % 7 <> 0 AS active
        FROM range(1, 13) t(i)
    """,
    "logistics/shipments": """
        SELECT 'SH' || lpad(CAST(i AS VARCHAR), 6, '0') AS shipment_id,
               'ORD-' || lpad(CAST(100000 + h('ship-order', i) % 5000 AS VARCHAR), 6, '0') AS order_id,
               'CAR' || lpad(CAST(1 + h('ship-carrier', i) % 12 AS VARCHAR), 3, '0') AS carrier_id,
               'TRK' || lpad(CAST(i AS VARCHAR), 9, '0') AS tracking_number,
               CASE WHEN i > 1480 THEN 'in_transit' WHEN h('ship-status', i) % 50 = 0 THEN 'returned'
                    ELSE 'delivered' END AS status,
               CAST(round(0.2 + (h('ship-weight', i) % 3000) / 100.0, 2) AS DOUBLE) AS weight_kg,
               as_of() - to_minutes((1500 - i) * 29 + 5) AS shipped_at
        FROM range(1, 1501) t(i)
    """,
}


def write_logistics_tables(con, out_dir: Path) -> dict:
    counts = {}
    for location, query in LOGISTICS_TABLES.items():
        target = out_dir / location / FILE_NAME
        target.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY ({query}) TO '{target}' (FORMAT PARQUET, COMPRESSION ZSTD)")
        counts[location] = con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--as-of", type=parse_as_of, default=None,
                        help=f"reference time (UTC, ISO 8601) or 'now' (to the minute); "
                             f"default: {REFERENCE_AS_OF.isoformat()}, the committed files' instant")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help=f"output folder (default: {DATA_DIR})")
    args = parser.parse_args(argv)
    as_of = args.as_of
    if as_of is not None and as_of.tzinfo is not None:
        as_of = as_of.astimezone(dt.timezone.utc).replace(tzinfo=None)
    as_of = as_of or default_as_of()
    counts = generate(args.out, as_of)
    for location, rows in counts.items():
        print(f"{rows:6d} rows  {args.out / location / FILE_NAME}")
    print(f"as of {as_of.isoformat()} UTC")
    return 0


if __name__ == "__main__":
    sys.exit(main())
