"""ShellCheck (SC codes) over RUN scripts, one shellcheck process per lint run."""
