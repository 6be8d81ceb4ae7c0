package dev.oms.api.http;

/** Ends a request with {@link #problem()}; thrown by parsing and mapped by the routing's error handler. */
public final class ProblemException extends RuntimeException {
    private final transient Problem problem;

    public ProblemException(Problem problem) {
        super(problem.detail(), null, false, false);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }
}
