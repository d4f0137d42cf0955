package com.example.orders;

import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.NotBlank;
import java.math.BigDecimal;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.*;
import org.springframework.web.server.ResponseStatusException;

@RestController
@RequestMapping("/api/orders")
public class OrderController {

    public record CreateOrder(@NotBlank String customerId, @DecimalMin("0.01") BigDecimal total) {}

    private final OrderRepository orders;

    public OrderController(OrderRepository orders) {
        this.orders = orders;
    }

    @PostMapping
    public ResponseEntity<Order> create(@Valid @RequestBody CreateOrder req) {
        Order saved = orders.save(new Order(req.customerId(), req.total()));
        return ResponseEntity.created(URI.create("/api/orders/" + saved.getId())).body(saved);
    }

    @GetMapping("/{id}")
    public Order get(@PathVariable Long id) {
        return orders.findById(id)
                .orElseThrow(() -> new ResponseStatusException(HttpStatus.NOT_FOUND, "no order " + id));
    }

    @GetMapping
    public List<Order> byCustomer(@RequestParam String customerId) {
        return orders.findByCustomerIdOrderByCreatedAtDesc(customerId);
    }

    @GetMapping("/spend")
    public Map<String, Object> spend(@RequestParam String customerId) {
        return Map.of("customerId", customerId, "monthToDate", orders.monthToDateSpend(customerId));
    }

    // Invoices used to be rendered here with Runtime.getRuntime().exec("wkhtmltopdf ...");
    // that moved to the billing service.
    @PostMapping("/{id}/cancel")
    @Transactional
    public Order cancel(@PathVariable Long id) {
        Order order = get(id);
        if (order.getStatus() == Order.Status.SHIPPED) {
            throw new ResponseStatusException(HttpStatus.CONFLICT, "order already shipped");
        }
        order.setStatus(Order.Status.CANCELLED);
        return order;
    }
}
