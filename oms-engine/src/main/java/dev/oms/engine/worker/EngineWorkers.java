package dev.oms.engine.worker;

import java.util.ArrayList;
import java.util.List;

import dev.oms.engine.EngineConfig;
import dev.oms.engine.command.CommandCodec;
import dev.oms.engine.command.SetRules;
import dev.oms.engine.event.EventCodec;
import dev.oms.engine.log.OrderLog;
import dev.oms.engine.state.OrderStore;
import dev.oms.engine.state.RulesHistory;
import dev.oms.engine.state.WorkingState;
import dev.oms.engine.trace.LogTracing;
import org.agrona.concurrent.AgentRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts and stops the engine's workers. Partition {@code p} belongs to worker {@code p % workers}
 * for the life of the process, so each partition has exactly one writer.
 *
 * <p>Threads: {@link #start} and {@link #close} from the thread that owns the engine.
 */
public final class EngineWorkers implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EngineWorkers.class);

    private final List<EngineWorker> workers = new ArrayList<>();
    private final List<AgentRunner> runners = new ArrayList<>();
    private final EngineStats stats = new EngineStats();

    public EngineWorkers(EngineConfig config, OrderLog log, OrderStore store, CommandCodec codec, Verdicts verdicts,
                         LogTracing tracing) {
        int count = Math.min(config.workers(), log.partitionCount());
        for (int w = 0; w < count; w++) {
            int[] owned = new int[(log.partitionCount() - w + count - 1) / count];
            for (int i = 0; i < owned.length; i++) {
                owned[i] = w + i * count;
            }
            WorkingState state = new WorkingState(store, log.partitionCount());
            OrderProcessor processor = new OrderProcessor(state, log, new EventCodec(config.priceScale()),
                    new RulesHistory(config.stateDir()), codec, stats);
            workers.add(new EngineWorker(w, owned, log, store, state, codec, verdicts, config.pinWorkers(), processor,
                    new SetRules(config.riskLimits(), config.selfTradePrevention()), config.retryPolicy(),
                    config.failureInjection(), stats, tracing));
        }
    }

    public void start() {
        for (EngineWorker worker : workers) {
            AgentRunner runner = new AgentRunner(worker.idleStrategy(),
                    e -> LOG.error("{} failed", worker.roleName(), e), null, worker);
            AgentRunner.startOnThread(runner);
            runners.add(runner);
        }
    }

    public EngineStats stats() {
        return stats;
    }

    /** The worker that owns {@code partition}. */
    public EngineWorker owner(int partition) {
        return workers.get(partition % workers.size());
    }

    /** Why partitions stopped, in partition order: empty while every partition is applied. */
    public List<String> stopped() {
        java.util.TreeMap<Integer, String> all = new java.util.TreeMap<>();
        workers.forEach(worker -> all.putAll(worker.stopped()));
        return List.copyOf(all.values());
    }

    public List<String> names() {
        return workers.stream().map(EngineWorker::roleName).toList();
    }

    @Override
    public void close() {
        for (int i = 0; i < runners.size(); i++) {
            workers.get(i).idleStrategy().stop(runners.get(i));
        }
    }
}
