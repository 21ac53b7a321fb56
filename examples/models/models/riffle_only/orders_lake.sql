{{ config(materialized='delta', location='target/lake/orders', partition_by='order_date') }}

-- Riffle's own materialization: the orders as a Delta table (readable by delta-rs, Spark, `riffle sql`).
select order_id, customer_id, order_date, status, amount
from {{ ref('fct_orders') }}
