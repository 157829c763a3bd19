#include "stock/stock_engine.h"

namespace flashsale::stock {

domain::Order order_of(const domain::OrderTransitioned& change) {
    return {.id = change.order_id,
            .sale_id = change.sale_id,
            .user_id = change.user_id,
            .quantity = change.quantity,
            .status = change.to,
            .updated_at = change.at};
}

}  // namespace flashsale::stock
