internal import CSundials
func _probe() -> Int32 { var ctx: SUNContext? = nil; return kinapse_context_create(&ctx) }
