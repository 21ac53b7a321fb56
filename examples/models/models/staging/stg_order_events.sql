select
    order_id,
    status,
    event_at
from {{ source('shop', 'raw_order_events') }}
where event_at < cast('{{ var("as_of") }}' as date) + interval 1 day
