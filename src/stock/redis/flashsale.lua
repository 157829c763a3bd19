#!lua name=flashsale
-- The Redis stock engine's atomic steps, loaded with FUNCTION LOAD REPLACE (functions are kept
-- in the AOF and RDB, so they survive a restart). Each function touches the keys of one sale
-- only, all named with the hash tag {sale:ID}, so the same code runs on Redis Cluster:
--   KEYS[1] sale       hash: definition, live counters, refusal counters, state
--   KEYS[2] users      hash: user id -> live (reserved + paid) units
--   KEYS[3] idem       hash: user id .. "\n" .. idempotency key -> order id
--   KEYS[4] orders     hash: order id -> order as JSON
--   KEYS[5] deadlines  sorted set: reserved order id, scored by its payment deadline (ms)
--   KEYS[6] events     stream: every change, in decision order, for the order pipeline
-- Time comes from Redis (TIME), the one clock every node shares: a node whose own clock runs
-- ahead cannot open a sale early. A missing sale hash means "not ready" (never stock 0 or full),
-- and so does a state other than "ready" (the sale is being rebuilt from the database).
-- Replies are arrays whose first element is "ok" or an error code the C++ side maps to Errc.

local function now_ms()
    local time = redis.call('TIME')
    return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

local function field_number(key, field)
    return tonumber(redis.call('HGET', key, field) or '0')
end

-- Turns the sale hash's numeric fields, read as strings, into numbers (a missing one is 0).
local function with_numbers(sale)
    for _, name in ipairs({'stock', 'limit', 'start', 'end', 'ttl', 'reserved', 'paid', 'seq'}) do
        sale[name] = tonumber(sale[name] or '0')
    end
    return sale
end

-- The sale's definition and counters as a Lua table, or nil when it is missing.
local function load_sale(key)
    local flat = redis.call('HGETALL', key)
    if #flat == 0 then return nil end
    local sale = {}
    for i = 1, #flat, 2 do sale[flat[i]] = flat[i + 1] end
    return with_numbers(sale)
end

-- Appends a change to the sale's stream as number `seq` of the sale's own event counter.
local function append_event(keys, seq, kind, json)
    redis.call('XADD', keys[6], '*', 'type', kind, 'seq', seq, 'data', json)
end

-- Appends a change to the sale's stream, numbered by the sale's own event counter.
local function emit(keys, kind, json)
    append_event(keys, redis.call('HINCRBY', keys[1], 'seq', 1), kind, json)
end

-- Moves a reserved order to paid, cancelled or expired, returning its units exactly once.
local function end_reservation(keys, order, to, now)
    order.status = to
    order.updated = now
    local json = cjson.encode(order)
    redis.call('HSET', keys[4], order.id, json)
    redis.call('ZREM', keys[5], order.id)
    redis.call('HINCRBY', keys[1], 'reserved', -order.quantity)
    redis.call('HINCRBY', keys[1], to, order.quantity)
    if to ~= 'paid' then
        local left = redis.call('HINCRBY', keys[2], order.user, -order.quantity)
        if left <= 0 then redis.call('HDEL', keys[2], order.user) end
    end
    emit(keys, to, json)
    return json
end

local function refuse(keys, code, counter)
    redis.call('HINCRBY', keys[1], counter, 1)
    return {code}
end

-- The sale fields a reservation reads, in the order reserve names them. Every call into Redis
-- and every Lua table costs microseconds (a reservation was ~58 us of Redis's time, most of it
-- such overhead), so reserve reads only these, into locals, and writes the sale hash once.
local kReserveFields = {'state', 'stock', 'limit', 'start', 'end', 'ttl', 'reserved', 'paid',
                        'paused', 'id', 'first_order', 'seq'}

-- A hash field read as a number; a missing one (false) is 0.
local function number(text)
    return tonumber(text or '0')
end

-- `text` as a JSON string. Printable ASCII without quote or backslash needs no escaping, which
-- spares cjson.encode (its call and buffer) for the ids that nearly always are such text.
local function json_string(text)
    if not string.find(text, '[^ !#-%[%]-~]') then return '"' .. text .. '"' end
    return cjson.encode(text)
end

-- The order as JSON, the same document cjson.encode makes but for the escaping of '/'.
-- Integers are formatted as integers (cjson formats every number as a double).
local function order_json(order)
    return string.format('{"id":%s,"sale":%s,"user":%s,"quantity":%d,"status":"reserved",'
                         .. '"created":%d,"expires":%d,"updated":%d,"key":%s}',
                         json_string(order.id), json_string(order.sale), json_string(order.user),
                         order.quantity, order.created, order.expires, order.updated,
                         json_string(order.key))
end

-- ARGV: user, quantity, idempotency key ('' for none), new order id.
local function reserve(keys, args)
    local user, quantity, key, order_id = args[1], tonumber(args[2]), args[3], args[4]
    local state, stock, limit, starts, ends, ttl, reserved, paid, paused, sale_id, first_order,
          seq = unpack(redis.call('HMGET', keys[1], unpack(kReserveFields)))
    if state ~= 'ready' then return {'not_ready'} end  -- also when the hash is missing
    if key ~= '' then
        local existing = redis.call('HGET', keys[3], user .. '\n' .. key)
        if existing then return {'ok', redis.call('HGET', keys[4], existing)} end
    end
    local now = now_ms()
    if now < number(starts) then return refuse(keys, 'not_started', 'refused_not_started') end
    if now >= number(ends) then return refuse(keys, 'ended', 'refused_ended') end
    if paused == '1' then return refuse(keys, 'paused', 'refused_not_started') end
    local held = number(redis.call('HGET', keys[2], user))
    if held + quantity > number(limit) then
        return refuse(keys, 'limit_reached', 'refused_limit_reached')
    end
    reserved = number(reserved)
    if quantity > number(stock) - reserved - number(paid) then
        return refuse(keys, 'sold_out', 'refused_sold_out')
    end
    local expires = now + number(ttl) * 1000
    local json = order_json({id = order_id, sale = sale_id or '', user = user,
                             quantity = quantity, created = now, expires = expires,
                             updated = now, key = key})
    local now_text, next_seq = string.format('%d', now), string.format('%d', number(seq) + 1)
    redis.call('HSET', keys[4], order_id, json)
    redis.call('HINCRBY', keys[2], user, quantity)
    redis.call('ZADD', keys[5], string.format('%d', expires), order_id)
    if key ~= '' then redis.call('HSET', keys[3], user .. '\n' .. key, order_id) end
    redis.call('HSET', keys[1], 'reserved', string.format('%d', reserved + quantity),
               'last_order', now_text, 'seq', next_seq, 'first_order', first_order or now_text)
    append_event(keys, next_seq, 'reserved', json)
    return {'ok', json}
end

-- The order's reservation, or an error reply.
local function reserved_order(keys, order_id)
    if redis.call('EXISTS', keys[1]) == 0 then return nil, {'not_ready'} end
    local json = redis.call('HGET', keys[4], order_id)
    if not json then return nil, {'not_found'} end
    local order = cjson.decode(json)
    if order.status ~= 'reserved' then return nil, {'invalid_transition', order.status} end
    return order, nil
end

-- ARGV: order id. Pay and expiry cannot both win: a payment after the deadline expires it.
local function pay(keys, args)
    local order, refusal = reserved_order(keys, args[1])
    if refusal then return refusal end
    local now = now_ms()
    if now >= order.expires then
        end_reservation(keys, order, 'expired', now)
        return {'invalid_transition', 'expired'}
    end
    return {'ok', end_reservation(keys, order, 'paid', now)}
end

-- ARGV: order id.
local function cancel(keys, args)
    local order, refusal = reserved_order(keys, args[1])
    if refusal then return refusal end
    return {'ok', end_reservation(keys, order, 'cancelled', now_ms())}
end

-- ARGV: at most this many. Expires reservations whose deadline has passed; returns how many.
local function expire(keys, args)
    if redis.call('HGET', keys[1], 'state') ~= 'ready' then return {'ok', 0} end
    local now = now_ms()
    local due = redis.call('ZRANGEBYSCORE', keys[5], '-inf', now, 'LIMIT', 0, tonumber(args[1]))
    for _, order_id in ipairs(due) do
        local json = redis.call('HGET', keys[4], order_id)
        local order = json and cjson.decode(json)
        if order and order.status == 'reserved' then
            end_reservation(keys, order, 'expired', now)
        else
            redis.call('ZREM', keys[5], order_id)
        end
    end
    return {'ok', #due}
end

local kDefinition = {'name', 'stock', 'limit', 'price', 'start', 'end', 'ttl', 'token', 'paused',
                     'pow', 'rate', 'burst'}

-- The definition fields of ARGV (in kDefinition's order) as HSET arguments, and as JSON.
local function definition(id, args)
    local pairs_list, sale = {}, {id = id}
    for i, name in ipairs(kDefinition) do
        table.insert(pairs_list, name)
        table.insert(pairs_list, args[i])
        sale[name] = args[i]
    end
    return pairs_list, cjson.encode(sale)
end

-- ARGV: sale id, then the definition. Creates the sale, ready to sell.
local function create_sale(keys, args)
    if redis.call('EXISTS', keys[1]) == 1 then return {'conflict'} end
    local id = args[1]
    local fields, json = definition(id, {unpack(args, 2)})
    redis.call('HSET', keys[1], 'id', id, 'state', 'ready', 'reserved', 0, 'paid', 0,
               'cancelled', 0, 'expired', 0, unpack(fields))
    emit(keys, 'sale', json)
    return {'ok'}
end

-- ARGV: sale id, then the new definition (already validated). Refuses a change that
-- contradicts what is sold: stock below the sold units, a limit below a user's units, a window
-- that would exclude existing orders.
local function update_sale(keys, args)
    local sale = load_sale(keys[1])
    if sale == nil or sale.state ~= 'ready' then return {'not_ready'} end
    local stock, limit = tonumber(args[3]), tonumber(args[4])
    local starts, ends = tonumber(args[6]), tonumber(args[7])
    if stock < sale.reserved + sale.paid then return {'conflict', 'stock below units sold'} end
    for _, units in ipairs(redis.call('HVALS', keys[2])) do
        if tonumber(units) > limit then return {'conflict', 'a user holds more than that'} end
    end
    local first, last = tonumber(sale.first_order), tonumber(sale.last_order)
    if (first and starts > first) or (last and ends <= last) then
        return {'conflict', 'the window would exclude existing orders'}
    end
    local fields, json = definition(args[1], {unpack(args, 2)})
    redis.call('HSET', keys[1], unpack(fields))
    emit(keys, 'sale', json)
    return {'ok'}
end

-- Reads the sale hash and the time. Returns {'ok', flat hash..., 'now', ms} or not_ready.
local function view(keys, args)
    local flat = redis.call('HGETALL', keys[1])
    if #flat == 0 then return {'not_ready'} end
    table.insert(flat, 'now')
    table.insert(flat, string.format('%d', now_ms()))  -- a string, like every hash field
    return {'ok', unpack(flat)}
end

-- Rebuilding a sale from the database (reconciliation): begin_rebuild takes the sale out of
-- service (its stream stays, to be drained into the database); restore_sale writes the stored
-- definition with zero counters; restore_orders adds stored orders (ARGV: JSON each);
-- end_rebuild puts the sale back in service.
local function begin_rebuild(keys, args)
    redis.call('HSET', keys[1], 'state', 'rebuilding')
    redis.call('DEL', keys[2], keys[3], keys[4], keys[5])
    return {'ok'}
end

local function restore_sale(keys, args)
    redis.call('DEL', keys[1])
    local fields = definition(args[1], {unpack(args, 2)})
    redis.call('HSET', keys[1], 'id', args[1], 'state', 'rebuilding', 'reserved', 0, 'paid', 0,
               'cancelled', 0, 'expired', 0, unpack(fields))
    return {'ok'}
end

local function restore_orders(keys, args)
    for _, json in ipairs(args) do
        local order = cjson.decode(json)
        redis.call('HSET', keys[4], order.id, json)
        redis.call('HINCRBY', keys[1], order.status, order.quantity)
        if order.status == 'reserved' or order.status == 'paid' then
            redis.call('HINCRBY', keys[2], order.user, order.quantity)
        end
        if order.status == 'reserved' then redis.call('ZADD', keys[5], order.expires, order.id) end
        if order.key ~= nil and order.key ~= '' then
            redis.call('HSET', keys[3], order.user .. '\n' .. order.key, order.id)
        end
        local first = tonumber(redis.call('HGET', keys[1], 'first_order'))
        if first == nil or order.created < first then
            redis.call('HSET', keys[1], 'first_order', order.created)
        end
        if order.created > field_number(keys[1], 'last_order') then
            redis.call('HSET', keys[1], 'last_order', order.created)
        end
    end
    return {'ok'}
end

local function end_rebuild(keys, args)
    redis.call('HSET', keys[1], 'state', 'ready')
    return {'ok'}
end

redis.register_function('fs_reserve', reserve)
redis.register_function('fs_pay', pay)
redis.register_function('fs_cancel', cancel)
redis.register_function('fs_expire', expire)
redis.register_function('fs_create_sale', create_sale)
redis.register_function('fs_update_sale', update_sale)
redis.register_function{function_name = 'fs_view', callback = view, flags = {'no-writes'}}
redis.register_function('fs_begin_rebuild', begin_rebuild)
redis.register_function('fs_restore_sale', restore_sale)
redis.register_function('fs_restore_orders', restore_orders)
redis.register_function('fs_end_rebuild', end_rebuild)

-- The order pipeline's lease on a sale (KEYS[1]: its lease key; ARGV: consumer, ms): one
-- consumer at a time moves a sale's stream into the database, so the database sees the sale's
-- changes in the order Redis decided them. Returns 1 when the caller holds the lease.
local function take_lease(keys, args)
    if redis.call('SET', keys[1], args[1], 'NX', 'PX', args[2]) then return 1 end
    if redis.call('GET', keys[1]) == args[1] then
        redis.call('PEXPIRE', keys[1], args[2])
        return 1
    end
    return 0
end

-- Gives a lease back (KEYS[1]: its key; ARGV: consumer) when the consumer stops cleanly, so
-- the next consumer need not wait for it to run out.
local function release_lease(keys, args)
    if redis.call('GET', keys[1]) == args[1] then return redis.call('DEL', keys[1]) end
    return 0
end

redis.register_function('fs_take_lease', take_lease)
redis.register_function('fs_release_lease', release_lease)
