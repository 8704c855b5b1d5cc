# syntax=docker/dockerfile:1
# The image agent runs use: the three agent CLIs Vigil drives, at the versions its argv test checks
# (scripts/bootstrap.sh `agents`; bump both together), with kubectl for the read-only kubeconfig.
# No Vigil binary, database or Slack credentials: an agent run gets its workspace and what it is
# explicitly given.
#
#   docker build -f deploy/agent.Dockerfile -t vigil-agent:dev deploy
#
# Node 22: @anthropic-ai/claude-code asks for node >= 22 (Debian 12 has 18). kubectl comes from a
# container image as in deploy/Dockerfile (KUBECTL_IMAGE, KUBECTL_PATH).
ARG KUBECTL_IMAGE=docker.io/bitnami/kubectl:1.30
ARG KUBECTL_PATH=/opt/bitnami/kubectl/bin/kubectl

FROM ${KUBECTL_IMAGE} AS kubectl

FROM docker.io/library/node:22-bookworm-slim
ARG KUBECTL_PATH
RUN npm install -g --no-audit --no-fund \
      @anthropic-ai/claude-code@2.1.332 @openai/codex@0.171.0 @google/gemini-cli@0.61.0 \
 && npm cache clean --force \
 && claude --version && codex --version && gemini --version
COPY --from=kubectl ${KUBECTL_PATH} /usr/local/bin/kubectl
# A fixed non-root uid other than Vigil's (10001), so an agent never owns Vigil's files.
RUN groupadd --system --gid 10002 agent \
 && useradd --system --uid 10002 --gid agent --home-dir /workspace --shell /usr/sbin/nologin agent \
 && mkdir -p /workspace && chown agent:agent /workspace && chmod 0700 /workspace
ENV HOME=/workspace
USER 10002:10002
WORKDIR /workspace
