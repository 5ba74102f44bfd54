package io.bulwark.streams.app;

import io.bulwark.streams.aggregate.inventory.InventoryAggregate;
import io.bulwark.streams.aggregate.inventory.InventoryItem;
import io.bulwark.streams.query.QueryRegistry;
import io.bulwark.streams.query.WindowComposition;
import io.bulwark.streams.rates.RateAccounting;
import io.bulwark.streams.rates.RateAccounting.Dimension;
import io.bulwark.streams.rates.RateAccounting.WindowKind;
import io.bulwark.streams.rates.RateSettings;
import io.bulwark.streams.readmodel.CustomerOrders;
import io.bulwark.streams.readmodel.OrderStatus;
import io.bulwark.streams.readmodel.ReadModels;
import io.bulwark.streams.readmodel.StockLevel;
import io.bulwark.streams.saga.SagaState;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/** The query endpoints of {@link BulwarkTopology}'s stores: one line per store. */
public final class BulwarkQueries {

    private BulwarkQueries() {}

    public static QueryRegistry registry(AppConfig config) {
        QueryRegistry registry = new QueryRegistry()
                .key(
                        "inventory-item",
                        "/query/inventory/items/{id}",
                        InventoryAggregate.ITEMS_STORE,
                        InventoryItem.class,
                        item -> "v" + item.version(),
                        "An inventory item aggregate's state")
                .all(
                        "inventory-items",
                        "/query/inventory/items",
                        InventoryAggregate.ITEMS_STORE,
                        "Every inventory item, from every instance")
                .versioned(
                        "stock-level",
                        "/query/stock/{id}",
                        ReadModels.STOCK_LEVELS,
                        StockLevel.class,
                        level -> "v" + level.version(),
                        "A SKU's stock level, now or ?asOf= a past time")
                .key(
                        "order-status",
                        "/query/orders/{id}",
                        ReadModels.ORDER_STATUS,
                        OrderStatus.class,
                        status -> status.lastEventMs() + "-" + status.history().size(),
                        "An order's status and history")
                .key(
                        "customer-orders",
                        "/query/customers/{id}/orders",
                        ReadModels.CUSTOMER_ORDERS,
                        CustomerOrders.class,
                        orders -> "n" + orders.totalOrders(),
                        "A customer's most recent orders")
                .key(
                        "saga",
                        "/query/sagas/{id}",
                        config.orderSaga().statesStore(),
                        SagaState.class,
                        null,
                        "The order-fulfilment saga of an order")
                .personal("customer-orders", "saga");
        RateSettings rates = config.rateSettings();
        for (Dimension dimension : Dimension.values()) {
            for (WindowKind kind : rates.kinds()) {
                Duration size = switch (kind) {
                    case TUMBLING -> rates.tumblingSize();
                    case HOPPING -> rates.hoppingSize();
                    case SLIDING -> rates.slidingDifference();
                };
                String dim = dimension.name().toLowerCase(Locale.ROOT);
                String k = kind.name().toLowerCase(Locale.ROOT);
                String name = "rates-" + dim + "-" + k;
                String path = "/query/rates/" + dim + "/" + k + "/{id}";
                String summary = "Order count and sum per " + k + " window of a " + dim;
                Optional<WindowComposition> composed =
                        kind == WindowKind.HOPPING ? RateAccounting.hoppingFromTumbling(rates) : Optional.empty();
                if (composed.isPresent()) {
                    registry.composedWindows(
                            name,
                            path,
                            RateAccounting.store(dimension, WindowKind.TUMBLING),
                            composed.get(),
                            summary + " (the sum of its tumbling windows)");
                } else {
                    registry.windows(name, path, RateAccounting.store(dimension, kind), size, summary);
                }
            }
        }
        registry.windows(
                "rates-customer-quota",
                "/query/rates/customer/quota/{id}",
                RateAccounting.quotaStore(),
                rates.quota().window(),
                "A customer's quota windows (orders, amount, breached)");
        return registry;
    }
}
