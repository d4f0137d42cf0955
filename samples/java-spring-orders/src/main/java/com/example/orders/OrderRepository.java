package com.example.orders;

import java.math.BigDecimal;
import java.util.List;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

public interface OrderRepository extends JpaRepository<Order, Long> {

    List<Order> findByCustomerIdOrderByCreatedAtDesc(String customerId);

    // Postgres-specific date_trunc, hence a native query rather than JPQL.
    @Query(value = """
            SELECT COALESCE(SUM(total), 0) FROM orders
            WHERE customer_id = :customerId AND status <> 'CANCELLED'
              AND created_at >= date_trunc('month', now())
            """, nativeQuery = true)
    BigDecimal monthToDateSpend(@Param("customerId") String customerId);
}
