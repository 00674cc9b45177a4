"""A second decoding engine on Wireshark's dissectors (`--engine tshark`).

tshark dissects the capture; `analyzer.tshark.mapper` turns each packet's fields into the same
records `analyzer.dot11.decode` produces, which the pipeline feeds to the unchanged roam
engine. Imported only when that engine is asked for: nothing here is on the hot path.
"""
