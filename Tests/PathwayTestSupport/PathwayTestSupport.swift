public enum PathwayTestSupport {}
