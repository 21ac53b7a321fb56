-- The latest status of each order (ephemeral: inlined into the models that use it).
select order_id, status, event_at as updated_at
from (
    select
        order_id,
        status,
        event_at,
        row_number() over (partition by order_id order by event_at desc) as position
    from {{ ref('stg_order_events') }}
) as ranked
where position = 1
