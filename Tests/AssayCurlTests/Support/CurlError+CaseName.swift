import AssayCurl

extension CurlError {
    /// The case's name (`timedOut`, `tls`, …), to check which failure it was while ignoring
    /// the message.
    var caseName: String {
        Mirror(reflecting: self).children.first?.label ?? "\(self)"
    }
}
