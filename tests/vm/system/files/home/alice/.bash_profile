# The system tier's test user: this session runs what the driver sends.
exec /usr/local/lib/wolfram-vm/session-agent.sh
