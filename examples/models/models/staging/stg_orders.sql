select
    id as order_id,
    customer_id,
    order_date
from {{ source('shop', 'raw_orders') }}
where order_date <= cast('{{ var("as_of") }}' as date)
