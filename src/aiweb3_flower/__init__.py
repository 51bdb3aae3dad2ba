"""The Flower app of aiweb3's model-creation network (``aiweb3.network``).

Self-contained on purpose: it imports only numpy and ``flwr``, so it runs in the Flower
environment (``.venv-flower``, whose pins clash with aiweb3's own) as SuperLink/SuperNode
processes or in one process (``python -m aiweb3_flower.inprocess``). ``task`` (the numpy
model) is shared with aiweb3's validators, which score miners' updates with it.
"""
