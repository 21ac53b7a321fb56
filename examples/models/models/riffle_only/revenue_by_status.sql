{{ config(materialized='table') }}

-- Reads the Delta table above (ref() of a delta model becomes delta('<location>')).
select status, count(*) as orders, sum(amount) as amount
from {{ ref('orders_lake') }}
group by status
