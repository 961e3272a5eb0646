// Command cri-seccomp-proxy passes every CRI call of a kubelet to a container runtime unchanged,
// except that it takes the seccomp profile out of RunPodSandbox and CreateContainer requests.
//
// hack/cluster-up.sh puts it between the arm64 node's kubelet and its arm64 containerd, which
// both run under qemu-user. qemu-user refuses prctl(PR_SET_SECCOMP) for the programs it runs
// (a filter would apply to qemu itself), so containerd's seccomp probe fails and its CRI rejects
// every sandbox, even an Unconfined one, with "seccomp is not supported". Without the profile the
// containers start; they then run without a seccomp filter, which is the one thing the arm64
// node does not enforce of the restricted Pod Security Standard (admission still checks it).
//
// Usage: cri-seccomp-proxy LISTEN_SOCKET RUNTIME_SOCKET
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// frame carries a message's bytes through without decoding, so that every CRI method (and any
// later one) passes without this program knowing it.
type frame struct{ b []byte }

type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return v.(*frame).b, nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	v.(*frame).b = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

const (
	runPodSandbox   = "/runtime.v1.RuntimeService/RunPodSandbox"
	createContainer = "/runtime.v1.RuntimeService/CreateContainer"
)

func withoutSeccomp(method string, in []byte) ([]byte, error) {
	switch method {
	case runPodSandbox:
		req := &runtimeapi.RunPodSandboxRequest{}
		if err := proto.Unmarshal(in, req); err != nil {
			return nil, err
		}
		clearSandbox(req.GetConfig())
		return proto.Marshal(req)
	case createContainer:
		req := &runtimeapi.CreateContainerRequest{}
		if err := proto.Unmarshal(in, req); err != nil {
			return nil, err
		}
		clearSandbox(req.GetSandboxConfig())
		if sc := req.GetConfig().GetLinux().GetSecurityContext(); sc != nil {
			sc.Seccomp = nil
			sc.SeccompProfilePath = ""
		}
		return proto.Marshal(req)
	}
	return in, nil
}

func clearSandbox(config *runtimeapi.PodSandboxConfig) {
	if sc := config.GetLinux().GetSecurityContext(); sc != nil {
		sc.Seccomp = nil
		sc.SeccompProfilePath = ""
	}
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: cri-seccomp-proxy LISTEN_SOCKET RUNTIME_SOCKET")
		os.Exit(2)
	}
	listen, runtime := os.Args[1], os.Args[2]
	backend, err := grpc.NewClient("unix://"+runtime,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}),
			grpc.MaxCallRecvMsgSize(64<<20), grpc.MaxCallSendMsgSize(64<<20)))
	if err != nil {
		log.Fatal(err)
	}
	handler := func(_ any, in grpc.ServerStream) error {
		method, _ := grpc.MethodFromServerStream(in)
		ctx, cancel := context.WithCancel(in.Context())
		defer cancel()
		if md, ok := metadata.FromIncomingContext(ctx); ok {
			ctx = metadata.NewOutgoingContext(ctx, md.Copy())
		}
		out, err := backend.NewStream(ctx,
			&grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method)
		if err != nil {
			return err
		}
		go func() {
			for {
				f := &frame{}
				if err := in.RecvMsg(f); err != nil {
					out.CloseSend()
					return
				}
				b, err := withoutSeccomp(method, f.b)
				if err != nil {
					log.Printf("%s: %v", method, err)
					cancel()
					return
				}
				if err := out.SendMsg(&frame{b}); err != nil {
					return
				}
			}
		}()
		for {
			f := &frame{}
			if err := out.RecvMsg(f); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
			if err := in.SendMsg(f); err != nil {
				return err
			}
		}
	}
	server := grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.UnknownServiceHandler(handler),
		grpc.MaxRecvMsgSize(64<<20), grpc.MaxSendMsgSize(64<<20))
	os.Remove(listen)
	lis, err := net.Listen("unix", listen)
	if err != nil {
		log.Fatal(err)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		server.Stop()
	}()
	log.Printf("CRI %s -> %s, seccomp profiles removed", listen, runtime)
	if err := server.Serve(lis); err != nil {
		log.Fatal(err)
	}
}
